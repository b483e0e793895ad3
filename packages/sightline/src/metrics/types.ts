// The metrics data model, as collected: what the OTLP encoder, the console and the Prometheus
// exposition read, and what a `sightline run` worker sends its primary. Plain data (no classes, no
// Maps), so it crosses the cluster IPC channel as it is. Times are Unix epoch milliseconds (with
// sub-millisecond fractions), since the primary and its workers have different time origins.
import type { Attributes } from '@opentelemetry/api';

export type InstrumentKind =
  'counter' | 'updowncounter' | 'histogram' | 'gauge' | 'observablecounter' | 'observableupdowncounter' | 'observablegauge';

export const INSTRUMENT_KINDS: readonly InstrumentKind[] = [
  'counter',
  'updowncounter',
  'histogram',
  'gauge',
  'observablecounter',
  'observableupdowncounter',
  'observablegauge',
];

export type Temporality = 'cumulative' | 'delta';

export interface Scope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

export interface MetricDescriptor {
  name: string;
  description: string;
  unit: string;
  kind: InstrumentKind;
  /** Integer instruments are exported as integers. */
  integer: boolean;
}

export interface Exemplar {
  value: number;
  time: number;
  traceId: string;
  spanId: string;
}

export interface SumPoint {
  type: 'sum';
  value: number;
}

export interface GaugePoint {
  type: 'gauge';
  value: number;
}

export interface HistogramPoint {
  type: 'histogram';
  /** Upper bounds, ascending; counts has one more entry (the bucket above the last bound). */
  boundaries: number[];
  counts: number[];
  count: number;
  sum: number;
  /** Undefined when no measurement fell in the interval, or min/max are not recorded. */
  min?: number;
  max?: number;
}

export interface ExponentialBuckets {
  offset: number;
  counts: number[];
}

export interface ExponentialHistogramPoint {
  type: 'exponential';
  scale: number;
  zeroCount: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  count: number;
  sum: number;
  min?: number;
  max?: number;
}

export type PointValue = SumPoint | GaugePoint | HistogramPoint | ExponentialHistogramPoint;

export interface DataPoint<V extends PointValue = PointValue> {
  attributes: Attributes;
  startTime: number;
  time: number;
  value: V;
  exemplars: Exemplar[];
}

export interface MetricData {
  scope: Scope;
  descriptor: MetricDescriptor;
  /** What the points are: sums (monotonic for counters), gauges, or histograms of either kind. */
  dataType: 'sum' | 'gauge' | 'histogram' | 'exponential';
  monotonic: boolean;
  temporality: Temporality;
  points: DataPoint[];
}

/** Everything one collection found, with the resource it describes. */
export interface ResourceMetrics {
  resource: Attributes;
  metrics: MetricData[];
}
