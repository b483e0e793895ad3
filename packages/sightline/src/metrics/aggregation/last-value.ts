// Gauges keep the last value recorded or observed; a gauge has no temporality, so a delta reader
// gets the same value (and only when it changed since it last looked).
import type { GaugePoint, PointValue } from '../types.js';
import type { Aggregator } from './aggregator.js';

interface LastValueAccumulator {
  value: number;
}

export class LastValueAggregator implements Aggregator<LastValueAccumulator> {
  readonly dataType = 'gauge' as const;

  exemplarSlots(): number {
    return 1;
  }

  create(): LastValueAccumulator {
    return { value: 0 };
  }

  record(accumulator: LastValueAccumulator, value: number): number {
    accumulator.value = value;
    return 0;
  }

  point(accumulator: LastValueAccumulator): GaugePoint {
    return { type: 'gauge', value: accumulator.value };
  }

  delta(current: PointValue): GaugePoint {
    return current as GaugePoint;
  }
}
