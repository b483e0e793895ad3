// What the protobuf and JSON encoders share.
import type { InstrumentationScope, RecordingSpan } from '../trace/span.js';

/** Span.flags bits 8 and 9: whether the parent's remoteness is known, and whether it is remote. */
export const OTLP_SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
export const OTLP_SPAN_FLAGS_IS_REMOTE = 0x200;

export function groupByScope(spans: RecordingSpan[]): Map<InstrumentationScope, RecordingSpan[]> {
  const groups = new Map<InstrumentationScope, RecordingSpan[]>();
  for (const span of spans) {
    const group = groups.get(span.scope);
    if (group === undefined) groups.set(span.scope, [span]);
    else group.push(span);
  }
  return groups;
}
