// Head samplers. The interface matches the OpenTelemetry SDK's, so an SDK sampler object can be passed to init().
import {
  isSpanContextValid,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
  type TraceState,
} from '@opentelemetry/api';

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
  traceState?: TraceState;
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

const TWO_56 = 2 ** 56;

/**
 * Samples by the trace id's rightmost 56 bits, the part W3C Level 2 guarantees random. The rule is the
 * OpenTelemetry consistent-probability one (sample when randomness >= (1 - ratio) * 2^56), so every
 * service with the same ratio makes the same decision for the same trace.
 */
export class TraceIdRatioSampler implements Sampler {
  private readonly threshold: number;

  constructor(readonly ratio: number) {
    this.threshold = (1 - ratio) * TWO_56;
  }

  shouldSample(_context: Context, traceId: string): SamplingResult {
    if (this.ratio >= 1) return SAMPLE;
    if (this.ratio <= 0) return DROP;
    const randomness = parseInt(traceId.slice(18), 16);
    return randomness >= this.threshold ? SAMPLE : DROP;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** Follows the parent's sampled flag when there is a parent; uses `root` otherwise. */
export class ParentBasedSampler implements Sampler {
  constructor(
    private readonly root: Sampler,
    private readonly remoteSampled: Sampler = new AlwaysOnSampler(),
    private readonly remoteNotSampled: Sampler = new AlwaysOffSampler(),
    private readonly localSampled: Sampler = new AlwaysOnSampler(),
    private readonly localNotSampled: Sampler = new AlwaysOffSampler(),
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !isSpanContextValid(parent)) return this.root.shouldSample(context, traceId, name, kind, attributes, links);
    const sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    const delegate = parent.isRemote
      ? sampled
        ? this.remoteSampled
        : this.remoteNotSampled
      : sampled
        ? this.localSampled
        : this.localNotSampled;
    return delegate.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `ParentBased{root=${this.root.toString()}}`;
  }
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
