// Client instrumentations (databases, caches) make spans only inside a trace: with no trace active
// there is nothing to hang a child on, and a root span per query or command (a queue's polling, a
// warm-up at start) would only be noise. Inside a trace means under a recording span of this process,
// or under a sampled parent another process passed in (a child process started with TRACEPARENT).
// Operations are timed for the duration metrics in more places: under any span, sampled or not, so
// that a request the sampler dropped still counts.
import { context, trace, TraceFlags } from '@opentelemetry/api';

export function insideTrace(): boolean {
  const span = trace.getSpan(context.active());
  if (span === undefined) return false;
  if (span.isRecording()) return true;
  const parent = span.spanContext();
  return parent.isRemote === true && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** Under any span of a request or job, sampled or not: where a timed operation counts for metrics. */
export function insideSpan(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}

/** Whether to instrument an operation here: to trace it, or (when its duration metric is on) to time it. */
export function worthInstrumenting(timed: boolean): boolean {
  return insideTrace() || (timed && insideSpan());
}
