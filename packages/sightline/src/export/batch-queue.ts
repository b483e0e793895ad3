// The bounded in-process queue between the hot path (span.end(), a logger's emit) and the exporter.
// The hot path only pushes a reference; batches leave on a timer or as soon as a batch is full.
// What a full queue does is the signal's choice: spans are dropped and counted (the specification's
// batch span processor), log records are handed over at once on the emitting call (see log-queue.ts).
// Flushing beyond this queue is the export worker's business (lifecycle/ wires both).
import { TraceFlags } from '@opentelemetry/api';
import type { RecordingSpan, SpanSink } from '../trace/span.js';
import type { StatsRecorder } from './stats.js';

/** OTEL_BSP_* (or OTEL_BLRP_*): a batch processor's settings, which bound this queue only. */
export interface BatchConfig {
  /** Items waiting here to be encoded. */
  maxQueueSize: number;
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
  exportTimeoutMillis: number;
}

/** Where a batch queue hands its batches: the OTLP export worker or the console. */
export interface BatchExporter<T> {
  export(items: T[]): void;
}

export type WhenFull = 'drop' | 'hand over';

/**
 * What every in-process queue shares, whatever it holds: counting what is offered, a full queue's
 * drop or hand-over, a drain on the schedule (OTEL_BSP_SCHEDULE_DELAY and its kin), a drain on the
 * next turn once a batch is full, and the bookkeeping a flush needs.
 */
export abstract class ScheduledQueue {
  private drainScheduled = false;
  /** Batches handed to the exporter since the last flush began. */
  private exportedSinceFlush = false;
  private readonly timer: NodeJS.Timeout | undefined;
  protected closed = false;

  constructor(
    protected readonly config: BatchConfig,
    protected readonly stats: StatsRecorder,
    private readonly whenFull: WhenFull,
  ) {
    if (config.scheduledDelayMillis > 0) {
      this.timer = setInterval(() => this.drain(), config.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Counts an item offered and makes room for it; false when it is not taken (closed, or full and dropping). */
  protected admit(): boolean {
    if (this.closed) return false;
    this.stats.ended++;
    if (this.length >= this.config.maxQueueSize) {
      if (this.whenFull === 'drop') {
        this.stats.droppedQueueFull();
        return false;
      }
      this.drain();
    }
    return true;
  }

  /** Items waiting here. */
  abstract get length(): number;

  /** Hands everything waiting to the exporter; whether anything was handed. */
  protected abstract handOver(): boolean;

  /** A drain on the next turn of the event loop, unless one is due already. */
  protected scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Whether anything was offered since the last flush began: waiting here, or handed to the exporter. */
  get unflushed(): boolean {
    return this.length > 0 || this.exportedSinceFlush;
  }

  drain(): void {
    this.drainScheduled = false;
    if (this.handOver()) this.exportedSinceFlush = true;
  }

  /** Drains for a flush: what is offered from now on counts as unflushed again. */
  drainForFlush(): void {
    this.drain();
    this.exportedSinceFlush = false;
  }

  /** Drains one last time; items offered afterwards are not taken (nor counted). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.drain();
    this.closed = true;
  }
}

export class BatchQueue<T> extends ScheduledQueue {
  private queue: T[] = [];

  constructor(
    config: BatchConfig,
    private readonly exporter: BatchExporter<T>,
    stats: StatsRecorder,
    whenFull: WhenFull,
  ) {
    super(config, stats, whenFull);
  }

  offer(item: T): void {
    if (!this.admit()) return;
    const queue = this.queue;
    queue.push(item);
    if (queue.length >= this.config.maxExportBatchSize || this.config.scheduledDelayMillis === 0) this.scheduleDrain();
  }

  get length(): number {
    return this.queue.length;
  }

  /** Everything queued, in batches of at most the export batch size. */
  protected handOver(): boolean {
    const size = this.config.maxExportBatchSize;
    let handed = false;
    while (this.queue.length > 0) {
      let batch: T[];
      if (this.queue.length <= size) {
        batch = this.queue;
        this.queue = [];
      } else {
        batch = this.queue.slice(0, size);
        this.queue = this.queue.slice(size);
      }
      handed = true;
      try {
        this.exporter.export(batch);
      } catch (error) {
        // drain() runs inside span.end(), a logger call or forceFlush(): nothing may be thrown into the app.
        this.stats.failed(batch.length, `export failed: ${(error as Error).message}`);
      }
    }
    return handed;
  }
}

/** The batch span processor: sampled spans only, and a full queue drops (OTEL_BSP_MAX_QUEUE_SIZE). */
export class SpanBatchQueue extends BatchQueue<RecordingSpan> implements SpanSink {
  constructor(config: BatchConfig, exporter: BatchExporter<RecordingSpan>, stats: StatsRecorder) {
    super(config, exporter, stats, 'drop');
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.offer(span);
  }
}
