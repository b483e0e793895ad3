// The span queue for OTLP export: each sampled span is encoded as it ends (OtlpSpanArena), so the
// queue holds bytes, not span objects, and a span is garbage as soon as its request is. Otherwise it
// keeps the batch span processor's contract (OTEL_BSP_*): at most maxQueueSize spans wait, a full
// queue drops and counts, a batch holds at most maxExportBatchSize spans and leaves when full or on
// the schedule, and every span is counted as exported, dropped or failed.
import { TraceFlags, type Attributes } from '@opentelemetry/api';
import type { RecordingSpan } from '../trace/span.js';
import { ScheduledQueue, type BatchConfig } from './batch-queue.js';
import type { ExportChannel } from './export-channel.js';
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

export class OtlpSpanQueue extends ScheduledQueue implements SpanQueue {
  private readonly arena: OtlpSpanArena;
  /** Full batches, encoded, waiting for the next drain (a burst within one turn of the event loop). */
  private sealed: SealedBatch[] = [];
  private sealedSpans = 0;

  constructor(
    private readonly config: BatchConfig,
    resource: Attributes,
    private readonly worker: ExportChannel,
    private readonly stats: StatsRecorder,
  ) {
    super(config.scheduledDelayMillis);
    this.arena = new OtlpSpanArena(resource);
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
    if (this.sealed.length > 0 || this.config.scheduledDelayMillis === 0) this.scheduleDrain();
  }

  /** Spans waiting to leave. */
  get length(): number {
    return this.sealedSpans + this.arena.count;
  }

  /** Every waiting batch, to the export worker. */
  protected handOver(): boolean {
    if (this.arena.count > 0) this.seal();
    const batches = this.sealed;
    if (batches.length === 0) return false;
    this.sealed = [];
    this.sealedSpans = 0;
    for (const { body, spans } of batches) handToWorker(this.worker, 'traces', body, spans, this.stats);
    return true;
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
