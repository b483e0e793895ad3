// Head samplers. The interface matches the OpenTelemetry SDK's, so an SDK sampler object can be passed to init().
import {
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
  type TraceState as ApiTraceState,
} from '@opentelemetry/api';
import { hasValidIds, madeTraceIdAt } from './ids.js';
import {
  otValue,
  parseTh,
  poolRandomnessAtLeast,
  randomnessAtLeast,
  thresholdBytes,
  thresholdOf,
  withTh,
  type Threshold,
} from './probability.js';
import { TraceState } from './trace-state.js';

/** OTEL_TRACES_SAMPLER values. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerConfig {
  name: SamplerName;
  ratio: number;
}

export enum SamplingDecision {
  NOT_RECORD = 0,
  RECORD = 1,
  RECORD_AND_SAMPLED = 2,
}

export interface SamplingResult {
  decision: SamplingDecision;
  attributes?: Attributes;
  traceState?: ApiTraceState;
}

export interface Sampler {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult;
  toString(): string;
}

const SAMPLE: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

export class AlwaysOnSampler implements Sampler {
  shouldSample(): SamplingResult {
    return SAMPLE;
  }
  toString(): string {
    return 'AlwaysOnSampler';
  }
}

export class AlwaysOffSampler implements Sampler {
  shouldSample(): SamplingResult {
    return DROP;
  }
  toString(): string {
    return 'AlwaysOffSampler';
  }
}

/**
 * Consistent probability sampling (OpenTelemetry's TraceIdRatioBased, as the current specification
 * defines it): sampled when the trace's randomness (the trace id's rightmost 56 bits, random under
 * W3C Level 2, or an `rv` the tracestate carries) is at or above the rejection threshold
 * (1 - ratio) * 2^56. Every service with the same ratio makes the same decision for the same trace,
 * and one with a lower ratio keeps a subset of another's. A sampled span carries the threshold as
 * `th` in the tracestate's `ot` entry, so downstream services and backends know its adjusted count.
 */
export class TraceIdRatioSampler implements Sampler {
  private readonly threshold: Threshold;
  /** The threshold as bytes, for a trace id whose bytes are at hand; undefined for 0%. */
  private readonly thresholdBytes: Uint8Array | undefined;
  /** The results for a trace that starts here with no tracestate, made once. */
  private readonly rootSampled: SamplingResult;
  private readonly rootDropped: SamplingResult = DROP;

  constructor(readonly ratio: number) {
    this.threshold = thresholdOf(ratio);
    this.thresholdBytes = thresholdBytes(this.threshold);
    this.rootSampled = Object.freeze({
      decision: SamplingDecision.RECORD_AND_SAMPLED,
      traceState: withTh(TraceState.empty(), this.threshold.th),
    });
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parentState = trace.getSpanContext(context)?.traceState;
    if (parentState === undefined || parentState.serialize() === '') return this.sampleRoot(traceId);
    const sampled = randomnessAtLeast(traceId, parentState, this.threshold.hex);
    return {
      decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
      traceState: withTh(parentState, sampled ? this.threshold.th : undefined),
    };
  }

  /**
   * The decision for a trace with no tracestate to read (no parent, or one without): its randomness is
   * the trace id's, read from the id pool's bytes when the tracer made the id just now (at 10% sampling,
   * 0.9 of the requests pay for this and nothing more; reading the id's digits cost ~230 instructions).
   */
  sampleRoot(traceId: string): SamplingResult {
    const at = madeTraceIdAt(traceId);
    const bytes = this.thresholdBytes;
    const sampled =
      at !== -1 && bytes !== undefined ? poolRandomnessAtLeast(at, bytes) : randomnessAtLeast(traceId, undefined, this.threshold.hex);
    return sampled ? this.rootSampled : this.rootDropped;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** Follows the parent's sampled flag when there is a parent; uses `root` otherwise. */
export class ParentBasedSampler implements Sampler {
  /**
   * The root sampler when it is Sightline's own TraceIdRatioSampler (not a subclass, whose
   * shouldSample() may differ): with no parent it is asked directly, without looking the context's
   * span up a second time (~80 instructions a request).
   */
  private readonly rootRatio: TraceIdRatioSampler | undefined;

  constructor(
    private readonly root: Sampler,
    private readonly remoteSampled: Sampler = new AlwaysOnSampler(),
    private readonly remoteNotSampled: Sampler = new AlwaysOffSampler(),
    private readonly localSampled: Sampler = new AlwaysOnSampler(),
    private readonly localNotSampled: Sampler = new AlwaysOffSampler(),
  ) {
    this.rootRatio = Object.getPrototypeOf(root) === TraceIdRatioSampler.prototype ? (root as TraceIdRatioSampler) : undefined;
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined && this.rootRatio !== undefined) return this.rootRatio.sampleRoot(traceId);
    if (parent === undefined || !hasValidIds(parent)) return this.root.shouldSample(context, traceId, name, kind, attributes, links);
    const sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    if (parent.isRemote && parent.traceState !== undefined) {
      // The specification's invariants: an unsampled context carries no threshold, and a sampled one's
      // threshold must admit its own randomness; a threshold that breaks them is erased, not trusted.
      const th = otValue(parent.traceState, 'th');
      if (th !== undefined) {
        const threshold = parseTh(th);
        const consistent = sampled && threshold !== undefined && randomnessAtLeast(traceId, parent.traceState, threshold.hex);
        if (!consistent) {
          const result = this.delegate(parent.isRemote, sampled).shouldSample(context, traceId, name, kind, attributes, links);
          return { ...result, traceState: withTh(result.traceState ?? parent.traceState, undefined) };
        }
      }
    }
    return this.delegate(parent.isRemote === true, sampled).shouldSample(context, traceId, name, kind, attributes, links);
  }

  /** The root sampler and the four that follow a parent, for readsSpanDetails(). */
  delegates(): Sampler[] {
    return [this.root, this.remoteSampled, this.remoteNotSampled, this.localSampled, this.localNotSampled];
  }

  private delegate(remote: boolean, sampled: boolean): Sampler {
    if (remote) return sampled ? this.remoteSampled : this.remoteNotSampled;
    return sampled ? this.localSampled : this.localNotSampled;
  }

  toString(): string {
    return `ParentBased{root=${this.root.toString()}}`;
  }
}

/**
 * Whether a sampler may read what startSpan() is given besides the context and trace id (the span's
 * name, kind, attributes and links). Sightline's own samplers read none of it: an instrumentation that
 * builds attributes only for the sampler can then leave them out when the span is not sampled (at 10%
 * sampling, most requests). A sampler of the app's own, or a subclass, may read anything.
 */
export function readsSpanDetails(sampler: Sampler): boolean {
  const prototype = Object.getPrototypeOf(sampler) as unknown;
  if (prototype === AlwaysOnSampler.prototype || prototype === AlwaysOffSampler.prototype || prototype === TraceIdRatioSampler.prototype)
    return false;
  if (prototype !== ParentBasedSampler.prototype) return true;
  return (sampler as ParentBasedSampler).delegates().some(readsSpanDetails);
}

export function samplerFromConfig(config: SamplerConfig | Sampler): Sampler {
  if ('shouldSample' in config) return config;
  switch (config.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return new ParentBasedSampler(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler(new TraceIdRatioSampler(config.ratio));
  }
}
