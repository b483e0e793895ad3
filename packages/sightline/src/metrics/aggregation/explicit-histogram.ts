// Histograms with fixed bucket boundaries. A bucket holds the measurements above the previous bound
// up to and including its own (the OpenTelemetry convention, which Prometheus' `le` matches).
import type { HistogramPoint, PointValue } from '../types.js';
import type { Aggregator } from './aggregator.js';

interface HistogramAccumulator {
  counts: Float64Array;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Minimum and maximum since a delta reader last took them. */
  intervalMin: number;
  intervalMax: number;
}

/** The specification's default boundaries, for a histogram with neither advice nor a view. */
export const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

export class ExplicitHistogramAggregator implements Aggregator<HistogramAccumulator> {
  readonly dataType = 'histogram' as const;

  constructor(
    private readonly boundaries: number[],
    private readonly recordMinMax = true,
  ) {}

  exemplarSlots(): number {
    return this.boundaries.length + 1;
  }

  create(): HistogramAccumulator {
    return {
      counts: new Float64Array(this.boundaries.length + 1),
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      intervalMin: Infinity,
      intervalMax: -Infinity,
    };
  }

  record(accumulator: HistogramAccumulator, value: number): number {
    const bounds = this.boundaries;
    let index: number;
    if (bounds.length <= 16) {
      index = 0;
      while (index < bounds.length && value > bounds[index]!) index++;
    } else {
      let low = 0;
      let high = bounds.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (value > bounds[mid]!) low = mid + 1;
        else high = mid;
      }
      index = low;
    }
    accumulator.counts[index]!++;
    accumulator.count++;
    accumulator.sum += value;
    if (value < accumulator.min) accumulator.min = value;
    if (value > accumulator.max) accumulator.max = value;
    if (value < accumulator.intervalMin) accumulator.intervalMin = value;
    if (value > accumulator.intervalMax) accumulator.intervalMax = value;
    return index;
  }

  point(accumulator: HistogramAccumulator): HistogramPoint {
    const point: HistogramPoint = {
      type: 'histogram',
      boundaries: this.boundaries,
      counts: Array.from(accumulator.counts),
      count: accumulator.count,
      sum: accumulator.sum,
    };
    if (this.recordMinMax && accumulator.count > 0) {
      point.min = accumulator.min;
      point.max = accumulator.max;
    }
    return point;
  }

  delta(current: PointValue, previous: PointValue | undefined, accumulator: HistogramAccumulator): HistogramPoint {
    const now = current as HistogramPoint;
    const before = previous as HistogramPoint | undefined;
    const point: HistogramPoint = {
      type: 'histogram',
      boundaries: now.boundaries,
      counts: before === undefined ? now.counts : now.counts.map((c, i) => c - (before.counts[i] ?? 0)),
      count: now.count - (before?.count ?? 0),
      sum: now.sum - (before?.sum ?? 0),
    };
    if (this.recordMinMax && point.count > 0 && accumulator.intervalMin !== Infinity) {
      point.min = accumulator.intervalMin;
      point.max = accumulator.intervalMax;
    }
    accumulator.intervalMin = Infinity;
    accumulator.intervalMax = -Infinity;
    return point;
  }
}
