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

/**
 * Spans wait this many at most before they are encoded, all in a row. Encoding each span as it ended
 * ran the encoder between a request's other work (Postgres's, Redis's and undici's code in
 * `realistic`), where its code and its caches of attribute keys and values had gone cold: ~1 µs per
 * span there against ~0.3 in `hello`. 32 spans are under a millisecond of a busy service's spans,
 * still gone long before the next scavenge (tens of milliseconds apart at that rate); a quiet
 * service's wait the next drain (OTEL_BSP_SCHEDULE_DELAY), and every flush encodes what waits first.
 */
export const ENCODE_RUN = 32;

interface SealedBatch {
  body: Uint8Array;
  items: number;
}

export class OtlpArenaQueue<T extends { scope: { name: string } }> extends ScheduledQueue {
  /** Full batches, encoded, waiting for the next drain (a burst within one turn of the event loop). */
  private sealed: SealedBatch[] = [];
  private sealedItems = 0;
  /** Items offered and not yet encoded, when encoding is deferred (see ENCODE_RUN). */
  private readonly waiting: T[] = [];

  constructor(
    config: BatchConfig,
    private readonly arena: OtlpArena<T>,
    private readonly signal: Signal,
    private readonly worker: ExportChannel,
    stats: StatsRecorder,
    whenFull: WhenFull,
    /**
     * Whether items wait to be encoded ENCODE_RUN at a time: for spans, which cannot change once
     * ended. A log record's body may be an object the app goes on changing, so it is encoded at once.
     */
    private readonly deferEncoding = false,
  ) {
    super(config, stats, whenFull);
  }

  offer(item: T): void {
    if (!this.admit()) return;
    if (this.deferEncoding && this.config.scheduledDelayMillis > 0) {
      const waiting = this.waiting;
      waiting.push(item);
      if (waiting.length >= ENCODE_RUN) this.encodeWaiting();
      return;
    }
    this.encode(item);
  }

  /** Encodes every item waiting, in the order offered. */
  private encodeWaiting(): void {
    const waiting = this.waiting;
    const count = waiting.length;
    for (let i = 0; i < count; i++) this.encode(waiting[i]!);
    waiting.length = 0;
  }

  private encode(item: T): void {
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
    return this.sealedItems + this.arena.count + this.waiting.length;
  }

  /** Every waiting batch, to the export worker. */
  protected handOver(): boolean {
    if (this.waiting.length > 0) this.encodeWaiting();
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
