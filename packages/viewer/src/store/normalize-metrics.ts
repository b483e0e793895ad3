// Turns an OTLP/JSON metrics export request into point rows for the store: one row per data point,
// with its series (service, instance, metric, attribute set) spelled out for the store to intern.
// Histograms keep their bucket counts and bounds; base-2 exponential histograms are stored as
// explicit buckets (their bounds computed from scale and offset), so one quantile estimate serves
// both. A point whose time cannot be read is rejected and counted.
import {
  attributes,
  isObject,
  list,
  MAX_STORED_NANOS,
  PayloadError,
  readId,
  readNanos,
  scopeText,
  stringAttribute,
  type Json,
} from './normalize.js';

export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential' | 'summary';

export interface MetricPointRow {
  serviceName: string;
  /** service.instance.id, or '' when the sender has none: tells a process's series from another's. */
  instance: string;
  resource: string;
  scope: string;
  name: string;
  description: string;
  unit: string;
  kind: MetricKind;
  /** 1 delta, 2 cumulative, 0 for gauges. */
  temporality: number;
  monotonic: boolean;
  /** The point's attributes as canonical JSON (keys sorted): the series' identity. */
  attributes: string;
  startNs: bigint;
  timeNs: bigint;
  /** A number point's value; a histogram's count. */
  value: number;
  sum: number | null;
  /** Histograms: the counts per bucket and the upper bounds (one fewer), as JSON. */
  counts: string | null;
  bounds: string | null;
  /** JSON [{traceId, spanId, value, timeNs}] of the exemplars with trace ids. */
  exemplars: string | null;
}

export interface NormalizedMetrics {
  points: MetricPointRow[];
  rejected: number;
  firstError: string | undefined;
}

const KINDS: MetricKind[] = ['gauge', 'sum', 'histogram', 'exponential', 'summary'];
const JSON_KEYS: Record<MetricKind, string> = {
  gauge: 'gauge',
  sum: 'sum',
  histogram: 'histogram',
  exponential: 'exponentialHistogram',
  summary: 'summary',
};

function number(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : Number(value);
  return NaN;
}

/** A KeyValue list as a plain object with scalar values, keys sorted. */
export function plainAttributes(value: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const entries = attributes(value).sort((a, b) => String(a.key).localeCompare(String(b.key)));
  for (const kv of entries) {
    const v = kv.value as Json;
    if (typeof v.stringValue === 'string') out[kv.key as string] = v.stringValue;
    else if (typeof v.boolValue === 'boolean') out[kv.key as string] = v.boolValue;
    else if (v.intValue !== undefined) out[kv.key as string] = number(v.intValue);
    else if (v.doubleValue !== undefined) out[kv.key as string] = number(v.doubleValue);
    else out[kv.key as string] = JSON.stringify(v);
  }
  return out;
}

function exemplars(value: unknown): string | null {
  const out: Array<{ traceId: string; spanId: string; value: number; timeNs: string }> = [];
  for (const e of list(value)) {
    if (!isObject(e)) continue;
    const traceId = readId(e.traceId, 16);
    const spanId = readId(e.spanId, 8);
    if (traceId === undefined || spanId === undefined) continue;
    const time = readNanos(e.timeUnixNano);
    out.push({
      traceId,
      spanId,
      value: e.asDouble !== undefined ? number(e.asDouble) : number(e.asInt),
      timeNs: typeof time === 'bigint' ? String(time) : '0',
    });
  }
  return out.length > 0 ? JSON.stringify(out) : null;
}

/** Explicit buckets for a base-2 exponential histogram point: bucket i holds (2^((offset+i)/2^scale), 2^((offset+i+1)/2^scale)]. */
function exponentialAsExplicit(point: Json): { counts: number[]; bounds: number[] } {
  const scale = number(point.scale) || 0;
  const base = 2 ** (2 ** -scale);
  const positive = isObject(point.positive) ? point.positive : {};
  const offset = number(positive.offset) || 0;
  const positiveCounts = list(positive.bucketCounts).map(number);
  const negative = isObject(point.negative) ? point.negative : {};
  const below = list(negative.bucketCounts).reduce((sum: number, c) => sum + number(c), 0) + (number(point.zeroCount) || 0);
  const bounds = [base ** offset, ...positiveCounts.map((_, i) => base ** (offset + i + 1))];
  return { bounds, counts: [below, ...positiveCounts, 0] };
}

export function normalizeMetricsRequest(request: unknown): NormalizedMetrics {
  if (!isObject(request)) throw new PayloadError('the body is not an OTLP ExportMetricsServiceRequest object');
  if (request.resourceMetrics !== undefined && !Array.isArray(request.resourceMetrics)) {
    throw new PayloadError('resourceMetrics is not an array');
  }
  const result: NormalizedMetrics = { points: [], rejected: 0, firstError: undefined };
  const reject = (why: string): void => {
    result.rejected++;
    result.firstError ??= why;
  };
  for (const rm of list(request.resourceMetrics)) {
    if (!isObject(rm)) continue;
    const resourceAttrs = attributes(isObject(rm.resource) ? rm.resource.attributes : undefined);
    const serviceName = stringAttribute(resourceAttrs, 'service.name') || 'unknown_service';
    const instance = stringAttribute(resourceAttrs, 'service.instance.id') ?? '';
    const resource = JSON.stringify({ attributes: resourceAttrs });
    for (const sm of list(rm.scopeMetrics)) {
      if (!isObject(sm)) continue;
      const scope = scopeText(isObject(sm.scope) ? sm.scope : {});
      for (const metric of list(sm.metrics)) {
        if (!isObject(metric) || typeof metric.name !== 'string' || metric.name === '') {
          reject('a metric has no name');
          continue;
        }
        const kind = KINDS.find((k) => isObject(metric[JSON_KEYS[k]]));
        if (kind === undefined) continue;
        const data = metric[JSON_KEYS[kind]] as Json;
        const temporality = kind === 'gauge' || kind === 'summary' ? 0 : Number(data.aggregationTemporality) === 1 ? 1 : 2;
        for (const point of list(data.dataPoints)) {
          if (!isObject(point)) {
            reject(`a point of ${metric.name} is not an object`);
            continue;
          }
          const time = readNanos(point.timeUnixNano);
          if (typeof time !== 'bigint' || time === 0n) {
            reject(
              time === 'tooLarge'
                ? `a point of ${metric.name} is beyond ${MAX_STORED_NANOS} ns`
                : `a point of ${metric.name} has no readable time`,
            );
            continue;
          }
          const start = readNanos(point.startTimeUnixNano);
          const row: MetricPointRow = {
            serviceName,
            instance,
            resource,
            scope,
            name: metric.name,
            description: typeof metric.description === 'string' ? metric.description : '',
            unit: typeof metric.unit === 'string' ? metric.unit : '',
            kind,
            temporality,
            monotonic: data.isMonotonic === true,
            attributes: JSON.stringify(plainAttributes(point.attributes)),
            startNs: typeof start === 'bigint' ? start : 0n,
            timeNs: time,
            value: 0,
            sum: null,
            counts: null,
            bounds: null,
            exemplars: exemplars(point.exemplars),
          };
          if (kind === 'gauge' || kind === 'sum') {
            row.value = point.asDouble !== undefined ? number(point.asDouble) : number(point.asInt);
          } else {
            row.value = number(point.count);
            row.sum = point.sum === undefined ? null : number(point.sum);
            if (kind === 'histogram') {
              row.counts = JSON.stringify(list(point.bucketCounts).map(number));
              row.bounds = JSON.stringify(list(point.explicitBounds).map(number));
            } else if (kind === 'exponential') {
              const explicit = exponentialAsExplicit(point);
              row.counts = JSON.stringify(explicit.counts);
              row.bounds = JSON.stringify(explicit.bounds);
            }
          }
          if (!Number.isFinite(row.value)) {
            reject(`a point of ${metric.name} has no finite value`);
            continue;
          }
          result.points.push(row);
        }
      }
    }
  }
  return result;
}
