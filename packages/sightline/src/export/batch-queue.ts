// The bounded in-process queue between span.end() and the exporter. end() only pushes a reference;
// batches leave on a timer or as soon as a batch is full, and a full queue drops and counts rather
// than grows. Flushing beyond this queue is the export worker's business (lifecycle/ wires both).
import { TraceFlags } from '@opentelemetry/api';
import type { RecordingSpan, SpanSink } from '../trace/span.js';
import type { SpanExporter } from './span-exporter.js';
import type { StatsRecorder } from './stats.js';

/** OTEL_BSP_*: the batch span processor's settings, which bound this queue only. */
export interface BatchConfig {
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans waiting here to be encoded. */
  maxQueueSize: number;
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
  exportTimeoutMillis: number;
}

export class BatchQueue implements SpanSink {
  private queue: RecordingSpan[] = [];
  private drainScheduled = false;
  /** Batches handed to the exporter since the last flush began. */
  private exportedSinceFlush = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: BatchConfig,
    private readonly exporter: SpanExporter,
    private readonly stats: StatsRecorder,
  ) {
    if (config.scheduledDelayMillis > 0) {
      this.timer = setInterval(() => this.drain(), config.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) === 0 || this.closed) return;
    this.stats.ended++;
    const queue = this.queue;
    if (queue.length >= this.config.maxQueueSize) {
      this.stats.droppedQueueFull();
      return;
    }
    queue.push(span);
    if (!this.drainScheduled && (queue.length >= this.config.maxExportBatchSize || this.config.scheduledDelayMillis === 0)) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  get length(): number {
    return this.queue.length;
  }

  /** Whether anything ended since the last flush began: waiting here, or handed to the exporter. */
  get unflushed(): boolean {
    return this.queue.length > 0 || this.exportedSinceFlush;
  }

  /** Hands everything queued to the exporter, in batches of at most OTEL_BSP_MAX_EXPORT_BATCH_SIZE. */
  drain(): void {
    this.drainScheduled = false;
    const size = this.config.maxExportBatchSize;
    while (this.queue.length > 0) {
      let batch: RecordingSpan[];
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
        // drain() can run inside span.end() or forceFlush(): nothing may be thrown into the app.
        this.stats.failed(batch.length, `export failed: ${(error as Error).message}`);
      }
    }
  }

  /** Drains for a flush: what ends from now on counts as unflushed again. */
  drainForFlush(): void {
    this.drain();
    this.exportedSinceFlush = false;
  }

  /** Drains one last time; spans ended afterwards are not taken (nor counted). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.drain();
    this.closed = true;
  }
}
