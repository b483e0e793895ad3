// Where the span batch queue hands its batches: the OTLP export worker or the console. Exporters only
// take batches; flushing and shutdown are the export worker's, which all signals share.
import type { RecordingSpan } from '../trace/span.js';
import type { BatchExporter } from './batch-queue.js';

/** OTEL_TRACES_EXPORTER values. */
export const EXPORTERS = ['otlp', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTERS)[number];

export type SpanExporter = BatchExporter<RecordingSpan>;
