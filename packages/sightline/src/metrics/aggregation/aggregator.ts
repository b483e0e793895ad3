// How a series turns measurements into a point. Each aggregator keeps a small mutable accumulator
// per series (the hot path only updates numbers in it), and turns it into plain data at collection:
// the running total for cumulative readers, and the difference from what a delta reader saw last.
import type { PointValue } from '../types.js';

export interface Aggregator<A = unknown> {
  readonly dataType: 'sum' | 'gauge' | 'histogram' | 'exponential';
  /** How many exemplars a series keeps: one per bucket for explicit histograms, one otherwise. */
  exemplarSlots(): number;
  create(): A;
  /** Adds one measurement; returns the exemplar slot it belongs to. */
  record(accumulator: A, value: number): number;
  /** The accumulated value since the series began (a gauge: its last value). */
  point(accumulator: A): PointValue;
  /**
   * What changed since `previous` (a point() a delta reader took earlier), and the interval's own
   * minimum and maximum, which the accumulator keeps until a delta reader takes them.
   */
  delta(current: PointValue, previous: PointValue | undefined, accumulator: A): PointValue;
}
