// A queue for OTLP export that holds bytes, not objects: each item is encoded as it is offered
// (OtlpArena), so a span or a log record is garbage as soon as its request is. Otherwise it keeps a
// batch processor's contract (OTEL_BSP_* or OTEL_BLRP_*): at most maxQueueSize items wait, a batch
// holds at most maxExportBatchSize and leaves when full or on the schedule, and every item is
// counted as exported, dropped or failed. A full queue drops (spans) or hands everything over at once
// (log records, see logs/log-queue.ts), as the signal chooses.
import type { Signal } from '@sightline/otlp';
import { ScheduledQueue, type BatchConfig, type WhenFull } from './batch-queue.js';
import type { ExportChannel } from './export-channel.js';
import type { OtlpArena } from './otlp-arena.js';
import type { StatsRecorder } from './stats.js';

interface SealedBatch {
  body: Uint8Array;
  items: number;
}

export class OtlpArenaQueue<T extends { scope: { name: string } }> extends ScheduledQueue {
  /** Full batches, encoded, waiting for the next drain (a burst within one turn of the event loop). */
  private sealed: SealedBatch[] = [];
  private sealedItems = 0;

  constructor(
    config: BatchConfig,
    private readonly arena: OtlpArena<T>,
    private readonly signal: Signal,
    private readonly worker: ExportChannel,
    stats: StatsRecorder,
    whenFull: WhenFull,
  ) {
    super(config, stats, whenFull);
  }

  offer(item: T): void {
    if (!this.admit()) return;
    try {
      this.arena.add(item);
    } catch (error) {
      // offer() runs inside span.end() or a logging call: nothing may be thrown into the app.
      this.stats.failed(1, `encoding failed: ${(error as Error).message}`);
      return;
    }
    if (this.arena.count >= this.config.maxExportBatchSize) this.seal();
    if (this.sealed.length > 0 || this.config.scheduledDelayMillis === 0) this.scheduleDrain();
  }

  /** Items waiting to leave. */
  get length(): number {
    return this.sealedItems + this.arena.count;
  }

  /** Every waiting batch, to the export worker. */
  protected handOver(): boolean {
    if (this.arena.count > 0) this.seal();
    const batches = this.sealed;
    if (batches.length === 0) return false;
    this.sealed = [];
    this.sealedItems = 0;
    for (const { body, items } of batches) handToWorker(this.worker, this.signal, body, items, this.stats);
    return true;
  }

  private seal(): void {
    const items = this.arena.count;
    let body: Uint8Array;
    try {
      body = this.arena.take();
    } catch (error) {
      this.stats.failed(items, `encoding failed: ${(error as Error).message}`);
      return;
    }
    this.sealed.push({ body, items });
    this.sealedItems += items;
  }
}

/** Gives an encoded request to the export worker; what it cannot take is counted as failed. */
function handToWorker(worker: ExportChannel, signal: Signal, body: Uint8Array, items: number, stats: StatsRecorder): void {
  if (!worker.running) stats.failed(items, 'export has stopped');
  else if (!worker.send(signal, body, items)) stats.failed(items, 'export could not take the batch');
}
