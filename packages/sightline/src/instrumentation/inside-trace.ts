// Client instrumentations (databases, caches) make spans only inside a trace: with no trace active
// there is nothing to hang a child on, and a root span per query or command (a queue's polling, a
// warm-up at start) would only be noise. Inside a trace means under a recording span of this process,
// or under a sampled parent another process passed in (a child process started with TRACEPARENT).
// Operations are timed for the duration metrics in more places: under any span, sampled or not, so
// that a request the sampler dropped still counts.
import { context, INVALID_SPAN_CONTEXT, trace, TraceFlags, type Span } from '@opentelemetry/api';

export function insideTrace(): boolean {
  return isTraced(trace.getSpan(context.active()));
}

/** Whether an operation under `span` (the active one) is inside a trace. */
export function isTraced(span: Span | undefined): boolean {
  if (span === undefined) return false;
  if (span.isRecording()) return true;
  const parent = span.spanContext();
  return parent.isRemote === true && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** What an instrumentation does with an operation: nothing, time it only (no span), or trace and time it. */
export const LEAVE_ALONE = 0;
export const TIME_ONLY = 1;
export const TRACE = 2;
export type Instrumenting = typeof LEAVE_ALONE | typeof TIME_ONLY | typeof TRACE;

/**
 * How to instrument an operation here: under a span of a request or job, sampled or not, a timed
 * operation counts for its metric; only inside a trace does it get a span. An unsampled request's
 * operation is only timed: its span would record nothing, so the span, its attributes and its query
 * text would be work for nothing.
 */
export function instrumentationOf(timed: boolean): Instrumenting {
  const span = trace.getSpan(context.active());
  if (isTraced(span)) return TRACE;
  return timed && span !== undefined ? TIME_ONLY : LEAVE_ALONE;
}

/** The span of an operation that is only timed: records nothing, and starts no trace context of its own. */
export const UNTRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
