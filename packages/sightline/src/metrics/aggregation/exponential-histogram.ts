// Base-2 exponential histograms (OpenTelemetry data model): bucket i at scale s holds values in
// (2^(i/2^s), 2^((i+1)/2^s)]. The scale starts at the finest allowed and drops, merging buckets
// pairwise, whenever the values seen would need more than `maxSize` buckets on one side of zero.
import type { ExponentialBuckets, ExponentialHistogramPoint, PointValue } from '../types.js';
import type { Aggregator } from './aggregator.js';
import { newStats, putExtremes, recordStats, takeIntervalExtremes, type HistogramStats } from './histogram-stats.js';

export const DEFAULT_MAX_SIZE = 160;
export const DEFAULT_MAX_SCALE = 20;
const MIN_SCALE = -10;

/** One side of zero: counts for consecutive indexes starting at `offset`. */
class Buckets {
  offset = 0;
  counts: number[] = [];

  get end(): number {
    return this.offset + this.counts.length - 1;
  }

  increment(index: number): void {
    if (this.counts.length === 0) {
      this.offset = index;
      this.counts.push(1);
      return;
    }
    if (index < this.offset) {
      const grow = this.offset - index;
      this.counts.unshift(...new Array<number>(grow).fill(0));
      this.offset = index;
    } else if (index > this.end) {
      for (let i = this.end; i < index; i++) this.counts.push(0);
    }
    this.counts[index - this.offset]!++;
  }

  /** Merges buckets so that each new one covers 2^change old ones. */
  downscale(change: number): void {
    if (change <= 0 || this.counts.length === 0) return;
    const merged: number[] = [];
    const newOffset = this.offset >> change;
    for (let i = 0; i < this.counts.length; i++) {
      const at = ((this.offset + i) >> change) - newOffset;
      merged[at] = (merged[at] ?? 0) + this.counts[i]!;
    }
    this.offset = newOffset;
    this.counts = merged;
  }

  snapshot(): ExponentialBuckets {
    return { offset: this.offset, counts: this.counts.slice() };
  }
}

interface ExponentialAccumulator extends HistogramStats {
  scale: number;
  zeroCount: number;
  positive: Buckets;
  negative: Buckets;
}

const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);

/** frexp's exponent (value = f·2^e with f in [0.5, 1)) and whether value is an exact power of two. */
function frexp(value: number): { exponent: number; powerOfTwo: boolean } {
  float[0] = value;
  const high = words[1]!;
  const biased = (high >>> 20) & 0x7ff;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    const scaled = frexp(value * 2 ** 64);
    return { exponent: scaled.exponent - 64, powerOfTwo: scaled.powerOfTwo };
  }
  return { exponent: biased - 1022, powerOfTwo: (high & 0xfffff) === 0 && words[0] === 0 };
}

/** The bucket index of a positive value at `scale` (the data model's reference mapping). */
export function mapToIndex(value: number, scale: number): number {
  const { exponent, powerOfTwo } = frexp(value);
  if (scale <= 0) return (powerOfTwo ? exponent - 2 : exponent - 1) >> -scale;
  if (powerOfTwo) return (exponent - 1) * 2 ** scale - 1;
  return Math.ceil(Math.log(value) * (Math.LOG2E * 2 ** scale)) - 1;
}

export class ExponentialHistogramAggregator implements Aggregator<ExponentialAccumulator> {
  readonly dataType = 'exponential' as const;

  constructor(
    private readonly maxSize = DEFAULT_MAX_SIZE,
    private readonly maxScale = DEFAULT_MAX_SCALE,
    private readonly recordMinMax = true,
  ) {}

  exemplarSlots(): number {
    return 1;
  }

  create(): ExponentialAccumulator {
    return { scale: this.maxScale, zeroCount: 0, positive: new Buckets(), negative: new Buckets(), ...newStats() };
  }

  record(a: ExponentialAccumulator, value: number): number {
    recordStats(a, value);
    if (value === 0) {
      a.zeroCount++;
      return 0;
    }
    const buckets = value > 0 ? a.positive : a.negative;
    const magnitude = Math.abs(value);
    let index = mapToIndex(magnitude, a.scale);
    if (buckets.counts.length > 0) {
      const low = Math.min(index, buckets.offset);
      const high = Math.max(index, buckets.end);
      let change = 0;
      while (high - low + 1 > this.maxSize && a.scale - change > MIN_SCALE) {
        change++;
        if ((high >> change) - (low >> change) + 1 <= this.maxSize) break;
      }
      if (change > 0) {
        a.scale -= change;
        a.positive.downscale(change);
        a.negative.downscale(change);
        index = mapToIndex(magnitude, a.scale);
      }
    }
    buckets.increment(index);
    return 0;
  }

  point(a: ExponentialAccumulator): ExponentialHistogramPoint {
    const point: ExponentialHistogramPoint = {
      type: 'exponential',
      scale: a.scale,
      zeroCount: a.zeroCount,
      positive: a.positive.snapshot(),
      negative: a.negative.snapshot(),
      count: a.count,
      sum: a.sum,
    };
    putExtremes(point, a, this.recordMinMax);
    return point;
  }

  delta(current: PointValue, previous: PointValue | undefined, a: ExponentialAccumulator): ExponentialHistogramPoint {
    const now = current as ExponentialHistogramPoint;
    const before = previous as ExponentialHistogramPoint | undefined;
    const point: ExponentialHistogramPoint =
      before === undefined
        ? { ...now }
        : {
            type: 'exponential',
            scale: now.scale,
            zeroCount: now.zeroCount - before.zeroCount,
            // The scale only ever drops, so the earlier buckets are brought down to the current one.
            positive: subtract(now.positive, downscaled(before.positive, before.scale - now.scale)),
            negative: subtract(now.negative, downscaled(before.negative, before.scale - now.scale)),
            count: now.count - before.count,
            sum: now.sum - before.sum,
          };
    takeIntervalExtremes(point, a, this.recordMinMax);
    return point;
  }
}

function downscaled(buckets: ExponentialBuckets, change: number): ExponentialBuckets {
  const copy = new Buckets();
  copy.offset = buckets.offset;
  copy.counts = buckets.counts.slice();
  copy.downscale(change);
  return copy.snapshot();
}

function subtract(now: ExponentialBuckets, before: ExponentialBuckets): ExponentialBuckets {
  return { offset: now.offset, counts: now.counts.map((count, i) => count - (before.counts[now.offset + i - before.offset] ?? 0)) };
}
