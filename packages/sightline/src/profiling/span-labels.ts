// What a profile sample says about the code that was running: the span active in its async context,
// that span's local root (the request or job), and the root's route. The profiler keeps one
// SpanSampleLabels per span and hands @datadog/pprof only its number, as the context of each async
// frame the span is entered in (see SampleContexts); a number and a sample's time become pprof labels
// only when a profile is collected, after the root ended and knows its route.
import type { RecordingSpan } from '../trace/span.js';
import type { LabelSet } from './pprof-module.js';

/** pprof label keys. `span_id` (of the local root) and `span_name` are what Grafana's Pyroscope matches spans on. */
export const LABEL_ROOT_SPAN_ID = 'span_id';
export const LABEL_ROOT_SPAN_NAME = 'span_name';
export const LABEL_SPAN_ID = 'active_span_id';
export const LABEL_TRACE_ID = 'trace_id';
export const LABEL_ROUTE = 'http_route';

/** Labels that name one span or trace each: kept for the viewer, left out of what Pyroscope indexes as series. */
export const PER_SPAN_LABELS = [LABEL_SPAN_ID, LABEL_TRACE_ID];

/**
 * What the samples of a local root (a span without a parent in this process: a request, a job) say
 * about it. Its name and route are copied in when the root ends (a server span learns its route late).
 * Labels hold this, never the span, so a span kept for a profile does not keep its attributes.
 */
export class RootLabels {
  route: string | undefined = undefined;
  constructor(
    readonly spanId: string,
    readonly traceId: string,
    public name: string,
  ) {}

  /** The root ended: its final name and route. */
  update(span: RecordingSpan): void {
    this.name = span.name;
    const route = span.attribute('http.route');
    this.route = typeof route === 'string' ? route : undefined;
  }
}

export class SpanSampleLabels {
  constructor(
    /** The number the profiler's samples carry for this span (see SampleContexts). */
    readonly id: number,
    readonly spanId: string,
    readonly root: RootLabels,
    /** The profiler's sample count when the span was first entered: whether it moved decides what is kept. */
    readonly samplesAtStart: number,
    /** The span's start, in milliseconds since performance.timeOrigin: samples before it are not its own. */
    readonly startMillis: number,
  ) {}

  /** The span's end, once it ended (same clock): samples after it are not its own. */
  endMillis = Infinity;

  toLabels(): LabelSet {
    const root = this.root;
    const labels: LabelSet = {
      [LABEL_ROOT_SPAN_ID]: root.spanId,
      [LABEL_ROOT_SPAN_NAME]: root.name,
      [LABEL_SPAN_ID]: this.spanId,
      [LABEL_TRACE_ID]: root.traceId,
    };
    if (root.route !== undefined) labels[LABEL_ROUTE] = root.route;
    return labels;
  }
}

/** Whether a span has no parent in this process. */
export function isLocalRoot(span: RecordingSpan): boolean {
  return span.parentSpanId === undefined || span.parentIsRemote;
}
