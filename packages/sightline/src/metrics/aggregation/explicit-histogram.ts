// Histograms with fixed bucket boundaries. A bucket holds the measurements above the previous bound
// up to and including its own (the OpenTelemetry convention, which Prometheus' `le` matches).
import type { HistogramPoint, PointValue } from '../types.js';
import type { Aggregator } from './aggregator.js';
import { newStats, putExtremes, recordStats, takeIntervalExtremes, type HistogramStats } from './histogram-stats.js';

interface HistogramAccumulator extends HistogramStats {
  counts: Float64Array;
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
    return { counts: new Float64Array(this.boundaries.length + 1), ...newStats() };
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
    recordStats(accumulator, value);
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
    putExtremes(point, accumulator, this.recordMinMax);
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
    takeIntervalExtremes(point, accumulator, this.recordMinMax);
    return point;
  }
}
