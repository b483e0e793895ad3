// What both histogram aggregations keep beside their buckets: count, sum, and the minimum and maximum
// since the series began and since a delta reader last took them.
export interface HistogramStats {
  count: number;
  sum: number;
  min: number;
  max: number;
  intervalMin: number;
  intervalMax: number;
}

export function newStats(): HistogramStats {
  return { count: 0, sum: 0, min: Infinity, max: -Infinity, intervalMin: Infinity, intervalMax: -Infinity };
}

export function recordStats(s: HistogramStats, value: number): void {
  s.count++;
  s.sum += value;
  if (value < s.min) s.min = value;
  if (value > s.max) s.max = value;
  if (value < s.intervalMin) s.intervalMin = value;
  if (value > s.intervalMax) s.intervalMax = value;
}

/** The running min and max, onto a cumulative point. */
export function putExtremes(point: { min?: number; max?: number }, s: HistogramStats, recordMinMax: boolean): void {
  if (!recordMinMax || s.count === 0) return;
  point.min = s.min;
  point.max = s.max;
}

/** The interval's min and max, onto a delta point (with `count` measurements), and a fresh interval. */
export function takeIntervalExtremes(point: { count: number; min?: number; max?: number }, s: HistogramStats, recordMinMax: boolean): void {
  delete point.min;
  delete point.max;
  if (recordMinMax && point.count > 0 && s.intervalMin !== Infinity) {
    point.min = s.intervalMin;
    point.max = s.intervalMax;
  }
  s.intervalMin = Infinity;
  s.intervalMax = -Infinity;
}
