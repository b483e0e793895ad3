// One scrape for several processes (`sightline run`'s workers): their cumulative metrics summed into
// one set. Counters and histograms add up, and keep the totals of workers that have stopped, so a
// rolling restart or a crash never makes them go backwards; up-down counters (memory in use,
// requests in flight) add up over the workers running now; gauges (event-loop delay, utilization)
// cannot be summed and are reported per worker, with a `sightline.worker.index` attribute.
import type { Attributes } from '@opentelemetry/api';
import { attributesKey } from '../storage.js';
import type { DataPoint, HistogramPoint, MetricData, ResourceMetrics } from '../types.js';

export const WORKER_ATTRIBUTE = 'sightline.worker.index';

/** Resource attributes that tell workers apart: left out of the merged target_info. */
const PER_PROCESS = new Set(['service.instance.id', 'process.pid', 'sightline.worker.index', 'process.command_args', 'process.parent_pid']);

function metricKey(metric: MetricData): string {
  return `${metric.scope.name}\u0000${metric.scope.version ?? ''}\u0000${metric.descriptor.name}\u0000${metric.dataType}`;
}

function summable(metric: MetricData): boolean {
  return metric.dataType === 'histogram' || (metric.dataType === 'sum' && metric.monotonic);
}

function copyMetric(metric: MetricData): MetricData {
  return { ...metric, points: [] };
}

function addPoint(into: DataPoint, point: DataPoint): void {
  into.startTime = Math.min(into.startTime, point.startTime);
  into.time = Math.max(into.time, point.time);
  into.exemplars = [...point.exemplars, ...into.exemplars].sort((a, b) => b.time - a.time).slice(0, 32);
  const a = into.value;
  const b = point.value;
  if ((a.type === 'sum' && b.type === 'sum') || (a.type === 'gauge' && b.type === 'gauge')) {
    a.value += b.value;
  } else if (a.type === 'histogram' && b.type === 'histogram' && sameBoundaries(a, b)) {
    a.counts = a.counts.map((c, i) => c + (b.counts[i] ?? 0));
    a.count += b.count;
    a.sum += b.sum;
    if (b.min !== undefined) a.min = a.min === undefined ? b.min : Math.min(a.min, b.min);
    if (b.max !== undefined) a.max = a.max === undefined ? b.max : Math.max(a.max, b.max);
  }
}

function sameBoundaries(a: HistogramPoint, b: HistogramPoint): boolean {
  return a.boundaries.length === b.boundaries.length && a.boundaries.every((x, i) => x === b.boundaries[i]);
}

function clonePoint(point: DataPoint, attributes: Attributes = point.attributes): DataPoint {
  const value = point.value.type === 'histogram' ? { ...point.value, counts: point.value.counts.slice() } : { ...point.value };
  return { ...point, attributes, value, exemplars: point.exemplars.slice() };
}

/** Accumulates metrics by metric and attribute set. */
class Sums {
  private readonly metrics = new Map<string, { metric: MetricData; points: Map<string, DataPoint> }>();

  add(metric: MetricData, point: DataPoint, attributes: Attributes = point.attributes): void {
    const key = metricKey(metric);
    let entry = this.metrics.get(key);
    if (entry === undefined) {
      entry = { metric: copyMetric(metric), points: new Map() };
      this.metrics.set(key, entry);
    }
    const pointKey = attributesKey(attributes);
    const existing = entry.points.get(pointKey);
    if (existing === undefined) entry.points.set(pointKey, clonePoint(point, attributes));
    else addPoint(existing, point);
  }

  addAll(other: Sums): void {
    for (const { metric, points } of other.metrics.values()) for (const point of points.values()) this.add(metric, point);
  }

  result(): MetricData[] {
    return [...this.metrics.values()].map(({ metric, points }) => ({ ...metric, points: [...points.values()] }));
  }
}

export interface WorkerMetrics {
  workerIndex: number;
  metrics: ResourceMetrics;
}

export class MetricsAggregate {
  /** Counters and histograms of workers that have stopped. */
  private readonly retired = new Sums();
  private lastResource: Attributes = {};

  /** A worker stopped: its last counters and histograms stay in every later sum. */
  retire(last: ResourceMetrics): void {
    for (const metric of last.metrics) {
      if (!summable(metric)) continue;
      for (const point of metric.points) this.retired.add(metric, point);
    }
  }

  merge(live: WorkerMetrics[]): ResourceMetrics {
    const sums = new Sums();
    sums.addAll(this.retired);
    for (const { workerIndex, metrics } of live) {
      for (const metric of metrics.metrics) {
        for (const point of metric.points) {
          if (metric.dataType === 'gauge') sums.add(metric, point, { ...point.attributes, [WORKER_ATTRIBUTE]: workerIndex });
          else sums.add(metric, point);
        }
      }
    }
    if (live.length > 0) this.lastResource = commonResource(live.map((w) => w.metrics.resource));
    return { resource: this.lastResource, metrics: sums.result() };
  }
}

/** The resource attributes every worker shares (service, host, runtime), without the per-process ones. */
function commonResource(resources: Attributes[]): Attributes {
  const [first, ...rest] = resources;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(first ?? {})) {
    if (PER_PROCESS.has(key)) continue;
    if (rest.every((r) => JSON.stringify(r[key]) === JSON.stringify(value))) out[key] = value;
  }
  return out;
}
