// The span queue for OTLP export: each sampled span is encoded as it ends (OtlpSpanArena), so the
// queue holds bytes, not span objects, and a span is garbage as soon as its request is. Otherwise it
// keeps the batch span processor's contract (OTEL_BSP_*): at most maxQueueSize spans wait, a full
// queue drops and counts, a batch holds at most maxExportBatchSize spans and leaves when full or on
// the schedule, and every span is counted as exported, dropped or failed.
import { TraceFlags, type Attributes } from '@opentelemetry/api';
import type { RecordingSpan } from '../trace/span.js';
import type { BatchConfig } from './batch-queue.js';
import type { ExportWorker } from './export-worker.js';
import { handToWorker } from './otlp-exporter.js';
import { OtlpSpanArena } from './otlp-protobuf.js';
import type { StatsRecorder } from './stats.js';

/** What the tracer's sinks and the lifecycle need of a span queue, whichever the exporter. */
export interface SpanQueue {
  /** A span to export, sampled or kept by the tail sampler. */
  offer(span: RecordingSpan): void;
  /** An ended span: exported if sampled. */
  onEnd(span: RecordingSpan): void;
  readonly length: number;
  readonly unflushed: boolean;
  drainForFlush(): void;
  close(): void;
}

interface SealedBatch {
  body: Uint8Array;
  spans: number;
}

export class OtlpSpanQueue implements SpanQueue {
  private readonly arena: OtlpSpanArena;
  /** Full batches, encoded, waiting for the next drain (a burst within one turn of the event loop). */
  private sealed: SealedBatch[] = [];
  private sealedSpans = 0;
  private drainScheduled = false;
  private exportedSinceFlush = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: BatchConfig,
    resource: Attributes,
    private readonly worker: ExportWorker,
    private readonly stats: StatsRecorder,
  ) {
    this.arena = new OtlpSpanArena(resource);
    if (config.scheduledDelayMillis > 0) {
      this.timer = setInterval(() => this.drain(), config.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.offer(span);
  }

  offer(span: RecordingSpan): void {
    if (this.closed) return;
    this.stats.ended++;
    if (this.length >= this.config.maxQueueSize) {
      this.stats.droppedQueueFull();
      return;
    }
    try {
      this.arena.add(span);
    } catch (error) {
      // offer() runs inside span.end(): nothing may be thrown into the app.
      this.stats.failed(1, `encoding failed: ${(error as Error).message}`);
      return;
    }
    if (this.arena.count >= this.config.maxExportBatchSize) this.seal();
    if (!this.drainScheduled && (this.sealed.length > 0 || this.config.scheduledDelayMillis === 0)) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Spans waiting to leave. */
  get length(): number {
    return this.sealedSpans + this.arena.count;
  }

  /** Whether anything was offered since the last flush began: waiting here, or handed to the worker. */
  get unflushed(): boolean {
    return this.length > 0 || this.exportedSinceFlush;
  }

  /** Hands every waiting batch to the export worker. */
  drain(): void {
    this.drainScheduled = false;
    if (this.arena.count > 0) this.seal();
    const batches = this.sealed;
    if (batches.length === 0) return;
    this.sealed = [];
    this.sealedSpans = 0;
    this.exportedSinceFlush = true;
    for (const { body, spans } of batches) handToWorker(this.worker, 'traces', body, spans, this.stats);
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

  private seal(): void {
    const spans = this.arena.count;
    let body: Uint8Array;
    try {
      body = this.arena.take();
    } catch (error) {
      this.stats.failed(spans, `encoding failed: ${(error as Error).message}`);
      return;
    }
    this.sealed.push({ body, spans });
    this.sealedSpans += spans;
  }
}
