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
  /**
   * Keys and values in turn ([key, value, key, value…]), each key once, values made safe: a list is
   * what the encoder reads, and building one costs an append per attribute where an object took a
   * property store with a shape transition (the keys differ from one call site to the next).
   */
  attributes: unknown[];
  droppedAttributesCount: number;
  eventName: string | undefined;
  /** The span the record was written in; undefined outside any valid span. */
  traceId: string | undefined;
  spanId: string | undefined;
  traceFlags: number;
  /**
   * Where the bytes of the trace and span ids lie in trace/ids.ts's pool, and on which of its laps,
   * when the span is one Sightline made (as on RecordingSpan); -1 otherwise, and the encoder reads the hex.
   */
  traceIdLap: number;
  traceIdAt: number;
  spanIdLap: number;
  spanIdAt: number;
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

/** A record's attribute list as an object (the console exporter, tests). */
export function attributesObject(list: readonly unknown[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (let i = 0; i < list.length; i += 2) attributes[list[i] as string] = list[i + 1];
  return attributes;
}
