// A log record as the SDK keeps it between emit() and the encoder: plain data, values already made
// safe (any-value.ts), times relative to performance.timeOrigin like span times.
import type { InstrumentationScope } from '../trace/span.js';

export interface SightlineLogRecord {
  scope: InstrumentationScope;
  /** When the event happened (the app's timestamp, or the emit time), ms relative to the time origin. */
  time: number;
  /** When Sightline saw it. */
  observedTime: number;
  severityNumber: number;
  severityText: string | undefined;
  body: unknown;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  eventName: string | undefined;
  /** The span the record was written in; undefined outside any valid span. */
  traceId: string | undefined;
  spanId: string | undefined;
  traceFlags: number;
}

/** Where emitted records go: the batch queue (or nowhere). */
export interface LogRecordSink {
  onEmit(record: SightlineLogRecord): void;
}

/** OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and _VALUE_LENGTH_LIMIT. */
export interface LogRecordLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
}
