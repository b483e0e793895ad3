// The span queue for OTLP export: each sampled span is encoded as it ends (OtlpSpanArena), so the
// queue holds bytes, not span objects, and a full queue drops and counts, as the batch span processor
// does (OTEL_BSP_*).
import { TraceFlags, type Attributes } from '@opentelemetry/api';
import type { RecordingSpan } from '../trace/span.js';
import type { BatchConfig } from './batch-queue.js';
import type { ExportChannel } from './export-channel.js';
import { OtlpArenaQueue } from './otlp-arena-queue.js';
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

export class OtlpSpanQueue extends OtlpArenaQueue<RecordingSpan> implements SpanQueue {
  constructor(config: BatchConfig, resource: Attributes, worker: ExportChannel, stats: StatsRecorder) {
    super(config, new OtlpSpanArena(resource), 'traces', worker, stats, 'drop');
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.offer(span);
  }
}
