// The batch log record processor (OTEL_BLRP_*): emit() only pushes a reference; batches leave on a
// timer, as soon as a batch is full, and on flush. Unlike spans, a full queue does not drop: apps log
// in synchronous bursts (a loop, a dump at startup) during which no timer can run, so the queue hands
// what it holds to the exporter at once, on the emitting call, and the export worker's byte bound
// (SIGHTLINE_EXPORT_MAX_QUEUE_BYTES) is what bounds memory. Its drops are counted there.
import type { StatsRecorder } from '../export/stats.js';
import type { LogRecordSink, SightlineLogRecord } from './log-record.js';

/** OTEL_BLRP_*: the batch log record processor's settings. */
export interface LogBatchConfig {
  /** OTEL_BLRP_MAX_QUEUE_SIZE: records held here before they are handed over on the emitting call. */
  maxQueueSize: number;
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
  exportTimeoutMillis: number;
}

export interface LogRecordExporter {
  export(records: SightlineLogRecord[]): void;
}

export class LogRecordQueue implements LogRecordSink {
  private queue: SightlineLogRecord[] = [];
  private drainScheduled = false;
  private exportedSinceFlush = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: LogBatchConfig,
    private readonly exporter: LogRecordExporter,
    private readonly stats: StatsRecorder,
  ) {
    if (config.scheduledDelayMillis > 0) {
      this.timer = setInterval(() => this.drain(), config.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  onEmit(record: SightlineLogRecord): void {
    if (this.closed) return;
    this.stats.ended++;
    const queue = this.queue;
    queue.push(record);
    if (queue.length >= this.config.maxQueueSize) {
      this.drain();
      return;
    }
    if (!this.drainScheduled && (queue.length >= this.config.maxExportBatchSize || this.config.scheduledDelayMillis === 0)) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  get length(): number {
    return this.queue.length;
  }

  get unflushed(): boolean {
    return this.queue.length > 0 || this.exportedSinceFlush;
  }

  drain(): void {
    this.drainScheduled = false;
    const size = this.config.maxExportBatchSize;
    while (this.queue.length > 0) {
      let batch: SightlineLogRecord[];
      if (this.queue.length <= size) {
        batch = this.queue;
        this.queue = [];
      } else {
        batch = this.queue.slice(0, size);
        this.queue = this.queue.slice(size);
      }
      this.exportedSinceFlush = true;
      try {
        this.exporter.export(batch);
      } catch (error) {
        // drain() runs inside the app's logging calls: nothing may be thrown into the app.
        this.stats.failed(batch.length, `export failed: ${(error as Error).message}`);
      }
    }
  }

  drainForFlush(): void {
    this.drain();
    this.exportedSinceFlush = false;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.drain();
    this.closed = true;
  }
}
