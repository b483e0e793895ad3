// Sums: counters and up-down counters add each measurement; their observable forms report the
// running total themselves, so the last observation is the value.
import type { PointValue, SumPoint } from '../types.js';
import type { Aggregator } from './aggregator.js';

interface SumAccumulator {
  value: number;
}

export class SumAggregator implements Aggregator<SumAccumulator> {
  readonly dataType = 'sum' as const;

  /** `observed`: the measurements are totals (observable instruments), not increments. */
  constructor(private readonly observed: boolean) {}

  exemplarSlots(): number {
    return 1;
  }

  create(): SumAccumulator {
    return { value: 0 };
  }

  record(accumulator: SumAccumulator, value: number): number {
    if (this.observed) accumulator.value = value;
    else accumulator.value += value;
    return 0;
  }

  point(accumulator: SumAccumulator): SumPoint {
    return { type: 'sum', value: accumulator.value };
  }

  delta(current: PointValue, previous: PointValue | undefined): SumPoint {
    const now = (current as SumPoint).value;
    return { type: 'sum', value: previous === undefined ? now : now - (previous as SumPoint).value };
  }
}
