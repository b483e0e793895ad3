// Which aggregator an instrument gets: a view's choice, or the default for its kind (sums for
// counters, last value for gauges, histograms with the instrument's advised boundaries or the
// default ones, or base-2 exponential when OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION says).
import { log } from '../../diag/logger.js';
import type { InstrumentKind, MetricDescriptor } from '../types.js';
import type { Aggregation } from '../view.js';
import type { Aggregator } from './aggregator.js';
import { DEFAULT_BOUNDARIES, ExplicitHistogramAggregator } from './explicit-histogram.js';
import { DEFAULT_MAX_SCALE, DEFAULT_MAX_SIZE, ExponentialHistogramAggregator } from './exponential-histogram.js';
import { LastValueAggregator } from './last-value.js';
import { SumAggregator } from './sum.js';

export type DefaultHistogram = 'explicit_bucket_histogram' | 'base2_exponential_bucket_histogram';
export const DEFAULT_HISTOGRAMS: readonly DefaultHistogram[] = ['explicit_bucket_histogram', 'base2_exponential_bucket_histogram'];

const observable = (kind: InstrumentKind): boolean => kind.startsWith('observable');

function validBoundaries(boundaries: unknown, what: string): number[] | undefined {
  if (boundaries === undefined) return undefined;
  if (
    Array.isArray(boundaries) &&
    boundaries.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > (boundaries[i - 1] as number)))
  ) {
    return boundaries as number[];
  }
  log.warn(`the bucket boundaries ${JSON.stringify(boundaries)} of ${what} are not finite and increasing; using the default ones`);
  return undefined;
}

/** Undefined for the `drop` aggregation: the instrument records nothing. */
export function selectAggregator(
  descriptor: MetricDescriptor,
  aggregation: Aggregation | undefined,
  advisedBoundaries: number[] | undefined,
  defaultHistogram: DefaultHistogram,
): Aggregator | undefined {
  const kind = descriptor.kind;
  switch (aggregation?.type ?? 'default') {
    case 'drop':
      return undefined;
    case 'sum':
      return new SumAggregator(observable(kind));
    case 'last_value':
      return new LastValueAggregator();
    case 'explicit_bucket_histogram': {
      const a = aggregation as Extract<Aggregation, { type: 'explicit_bucket_histogram' }>;
      const boundaries =
        validBoundaries(a.boundaries, descriptor.name) ?? validBoundaries(advisedBoundaries, descriptor.name) ?? DEFAULT_BOUNDARIES;
      return new ExplicitHistogramAggregator(boundaries, a.recordMinMax ?? true);
    }
    case 'base2_exponential_bucket_histogram': {
      const a = aggregation as Extract<Aggregation, { type: 'base2_exponential_bucket_histogram' }>;
      return new ExponentialHistogramAggregator(a.maxSize ?? DEFAULT_MAX_SIZE, a.maxScale ?? DEFAULT_MAX_SCALE, a.recordMinMax ?? true);
    }
    default:
      switch (kind) {
        case 'counter':
        case 'updowncounter':
        case 'observablecounter':
        case 'observableupdowncounter':
          return new SumAggregator(observable(kind));
        case 'gauge':
        case 'observablegauge':
          return new LastValueAggregator();
        case 'histogram':
          if (defaultHistogram === 'base2_exponential_bucket_histogram') return new ExponentialHistogramAggregator();
          return new ExplicitHistogramAggregator(validBoundaries(advisedBoundaries, descriptor.name) ?? DEFAULT_BOUNDARIES);
      }
  }
}
