// Tracer: decides sampling first, so that an unsampled span costs one small object and no span work.
import {
  context as apiContext,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanLimits } from './limits.js';
import { SUPPRESS_TRACING_KEY } from '../context/suppress-tracing.js';
import { hasValidIds, lastId, madeIds, newSpanId, newTraceId, trustIds } from './ids.js';
import { readsSpanDetails, SamplingDecision, type Sampler } from './sampler.js';
import { NonRecordingSpan, RecordingSpan, type InstrumentationScope, type SpanSink } from './span.js';
import { toRelative } from './time.js';

/** W3C Level 2 "random" trace flag: set on trace ids Sightline generates. */
export const RANDOM_TRACE_FLAG = 0x02;

// Shared, frozen defaults: a sampler gets these rather than a fresh object per span.
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const EMPTY_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

const SUPPRESSED_SPAN = new NonRecordingSpan({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: TraceFlags.NONE,
});

/**
 * Whether `sc`, the context of `span`, still holds the ids this tracer made `span` with: valid by
 * construction, so neither this check nor the sampler's reads a digit of them (reading one costs ~65
 * instructions, an id being a slice of a longer string). Each request's spans are the parents of its
 * client spans, and with requests interleaved the pair hasValidIds remembers last is usually another
 * request's: this was a full check (~3,000 instructions) per request at 10% in realistic, two at 100%.
 * Ids compared rather than trusted, so a context whose ids user code replaced is read again.
 */
function idsAsMade(span: Span, sc: SpanContext): boolean {
  if (!(span instanceof RecordingSpan || span instanceof NonRecordingSpan)) return false;
  const traceId = span.madeTraceId;
  if (traceId === undefined || traceId !== sc.traceId || span.madeSpanId !== sc.spanId) return false;
  trustIds(traceId, sc.spanId);
  return true;
}

export class SightlineTracer implements Tracer {
  /**
   * Whether the attributes given to startSpan() are read before the span is known to record: by a
   * sampler that may read them, or by the tail sampler, which records the spans head sampling drops.
   * When not, an instrumentation may set them on a recording span after it started instead, and build
   * nothing for one that does not record.
   */
  readonly readsStartAttributes: boolean;

  constructor(
    readonly scope: InstrumentationScope,
    private readonly sampler: Sampler,
    private readonly limits: SpanLimits,
    private readonly sink: SpanSink,
    private readonly recordDropped = false,
  ) {
    this.readsStartAttributes = recordDropped || readsSpanDetails(sampler);
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = apiContext.active()): Span {
    // Under suppressTracing() (excluded URLs, an exporter's own requests) nothing is recorded.
    if (context.getValue(SUPPRESS_TRACING_KEY) === true) return SUPPRESSED_SPAN;
    const parentSpan = options.root ? undefined : trace.getSpan(context);
    const parent = parentSpan?.spanContext();
    const hasParent = parent !== undefined && (idsAsMade(parentSpan!, parent) || hasValidIds(parent));
    const traceId = hasParent ? parent.traceId : newTraceId();
    // Where the trace id's bytes are, for the encoder: made just now, or the local parent's. Read before
    // the sampler runs, as a sampler of the app's own may make ids of its own.
    const localParent = hasParent && parentSpan instanceof RecordingSpan && parentSpan.context === parent ? parentSpan : undefined;
    const traceIdLap = hasParent ? (localParent?.traceIdLap ?? -1) : lastId.lap;
    const traceIdAt = hasParent ? (localParent?.traceIdAt ?? 0) : lastId.at;
    const kind = options.kind ?? SpanKind.INTERNAL;
    const attributes = options.attributes ?? EMPTY_ATTRIBUTES;
    const links = options.links ?? EMPTY_LINKS;

    const result = this.sampler.shouldSample(options.root ? trace.deleteSpan(context) : context, traceId, name, kind, attributes, links);
    const traceState = result.traceState ?? (hasParent ? parent.traceState : undefined);
    const randomFlag = hasParent ? parent.traceFlags & RANDOM_TRACE_FLAG : RANDOM_TRACE_FLAG;
    // Even unrecorded, the span has its own id: each outgoing request must name a new parent-id
    // (W3C Trace Context), or downstream services could not tell sibling calls apart.
    const spanId = newSpanId();
    madeIds(traceId, spanId);

    if (result.decision === SamplingDecision.NOT_RECORD && !this.recordDropped) {
      return new NonRecordingSpan({ traceId, spanId, traceFlags: randomFlag, traceState }, traceId, spanId);
    }

    const sampled = result.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const ctx: SpanContext = {
      traceId,
      spanId,
      traceFlags: randomFlag | (sampled ? TraceFlags.SAMPLED : TraceFlags.NONE),
      traceState,
    };
    const span = new RecordingSpan(
      ctx,
      hasParent ? parent.spanId : undefined,
      hasParent ? parent.isRemote === true : false,
      name,
      kind,
      toRelative(options.startTime),
      this.scope,
      this.limits,
      this.sink,
    );
    span.madeTraceId = traceId;
    span.madeSpanId = spanId;
    span.spanIdLap = lastId.lap; // newSpanId() above was the last id made
    span.spanIdAt = lastId.at;
    span.traceIdLap = traceIdLap;
    span.traceIdAt = traceIdAt;
    if (localParent !== undefined) {
      span.parentIdLap = localParent.spanIdLap;
      span.parentIdAt = localParent.spanIdAt;
    }
    if (options.attributes !== undefined) span.setInitialAttributes(options.attributes);
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    if (options.links !== undefined) span.addLinks(options.links);
    if (!sampled) this.sink.onStartUnsampled?.(span, parentSpan instanceof RecordingSpan ? parentSpan : undefined);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    let options: SpanOptions | undefined;
    let context: Context | undefined;
    let fn: F;
    if (typeof a === 'function') {
      fn = a;
    } else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else {
      options = a;
      context = b;
      fn = c as F;
    }
    const parentContext = context ?? apiContext.active();
    const span = this.startSpan(name, options, parentContext);
    return apiContext.with(trace.setSpan(parentContext, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
