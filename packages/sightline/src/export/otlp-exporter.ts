// Spans or log records to OTLP: each batch is encoded to protobuf on the main thread (cheaper than
// structured-cloning the objects, measured) and the bytes are transferred to the export worker.
import type { Signal } from '@sightline/otlp';
import { log } from '../diag/logger.js';
import type { BatchExporter } from './batch-queue.js';
import type { ExportChannel } from './export-channel.js';
import type { StatsRecorder } from './stats.js';

export class OtlpExporter<T> implements BatchExporter<T> {
  constructor(
    private readonly worker: ExportChannel,
    private readonly signal: Signal,
    /** What the items are called in messages: spans, log records. */
    private readonly noun: string,
    private readonly encoder: { encode(items: T[]): Uint8Array },
    private readonly stats: StatsRecorder,
  ) {}

  export(items: T[]): void {
    if (!this.worker.running) {
      this.stats.failed(items.length, 'export has stopped');
      return;
    }
    let body: Uint8Array;
    try {
      body = this.encoder.encode(items);
    } catch (error) {
      log.error(`could not encode ${items.length} ${this.noun}; they are lost:`, error);
      this.stats.failed(items.length, `encoding failed: ${(error as Error).message}`);
      return;
    }
    handToWorker(this.worker, this.signal, body, items.length, this.stats);
  }
}

/** Gives an encoded request to the export worker; what it cannot take is counted as failed. */
export function handToWorker(worker: ExportChannel, signal: Signal, body: Uint8Array, items: number, stats: StatsRecorder): void {
  if (!worker.running) stats.failed(items, 'export has stopped');
  else if (!worker.send(signal, body, items)) stats.failed(items, 'export could not take the batch');
}
