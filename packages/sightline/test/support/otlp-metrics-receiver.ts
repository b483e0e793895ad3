// A real OTLP receiver for metrics tests: POST /v1/metrics in protobuf (decoded with the official
// opentelemetry-proto schema, protobufjs code generated from the .proto files) or JSON, gzip or not.
// Traces sent to the same place are decoded too, so exemplars can be matched with spans.
import { createRequire } from 'node:module';
import { decodeJson, decodeProtobuf, type ReceivedSpan } from './otlp-receiver.js';
import { serveOtlp, until } from './otlp-http-server.js';

const require = createRequire(import.meta.url);
const root = require('otlp-proto-schema/build/src/generated/root.js');
const ExportMetricsServiceRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

export interface ReceivedMetric {
  name: string;
  unit: string;
  description: string;
  scope: string;
  resource: Record<string, unknown>;
  /** gauge, sum, histogram, exponentialHistogram */
  type: string;
  temporality: number | undefined;
  monotonic: boolean | undefined;
  points: ReceivedPoint[];
}

export interface ReceivedPoint {
  attributes: Record<string, unknown>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** Number points: the value; histograms: count. */
  value: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  min?: number;
  max?: number;
  scale?: number;
  zeroCount?: number;
  positive?: { offset: number; bucketCounts: number[] };
  exemplars: Array<{ traceId: string; spanId: string; value: number; timeUnixNano: bigint }>;
}

export interface MetricsReceiver {
  url: string;
  /** Every metric of every request, in arrival order (one entry per metric per request). */
  metrics: ReceivedMetric[];
  spans: ReceivedSpan[];
  requests: Array<{ contentType: string; path: string }>;
  /** Resolves once `predicate` holds for the metrics received so far. */
  waitFor(predicate: (metrics: ReceivedMetric[]) => boolean, timeoutMillis?: number): Promise<void>;
  close(): Promise<void>;
}

const hex = (v: unknown, binary: boolean): string => (binary ? Buffer.from((v as Uint8Array) ?? []).toString('hex') : String(v ?? ''));
const num = (v: unknown): number => Number(String(v ?? 0));

function anyValue(v: Record<string, unknown> | undefined | null): unknown {
  if (!v) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return Number(String(v.intValue));
  if (v.doubleValue != null) return Number(v.doubleValue);
  return undefined;
}

function attrs(list: Array<{ key: string; value: Record<string, unknown> }> | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function point(p: any, binary: boolean): ReceivedPoint {
  const out: ReceivedPoint = {
    attributes: attrs(p.attributes),
    startTimeUnixNano: BigInt(String(p.startTimeUnixNano ?? 0)),
    timeUnixNano: BigInt(String(p.timeUnixNano ?? 0)),
    value: p.asDouble != null ? Number(p.asDouble) : p.asInt != null ? num(p.asInt) : num(p.count),
    exemplars: (p.exemplars ?? []).map((e: any) => ({
      traceId: hex(e.traceId, binary),
      spanId: hex(e.spanId, binary),
      value: e.asDouble != null ? Number(e.asDouble) : num(e.asInt),
      timeUnixNano: BigInt(String(e.timeUnixNano ?? 0)),
    })),
  };
  if (p.sum != null) out.sum = Number(p.sum);
  if (p.bucketCounts) out.bucketCounts = p.bucketCounts.map(num);
  if (p.explicitBounds) out.explicitBounds = p.explicitBounds.map(Number);
  if (p.min != null) out.min = Number(p.min);
  if (p.max != null) out.max = Number(p.max);
  if (p.scale != null) out.scale = Number(p.scale);
  if (p.zeroCount != null) out.zeroCount = num(p.zeroCount);
  if (p.positive) out.positive = { offset: Number(p.positive.offset ?? 0), bucketCounts: (p.positive.bucketCounts ?? []).map(num) };
  return out;
}

function normalise(request: any, binary: boolean): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    const resource = attrs(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const type = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].find((t) => m[t] != null) ?? 'unknown';
        const data = m[type] ?? {};
        out.push({
          name: m.name,
          unit: m.unit ?? '',
          description: m.description ?? '',
          scope: sm.scope?.name ?? '',
          resource,
          type,
          temporality: data.aggregationTemporality === undefined ? undefined : Number(data.aggregationTemporality),
          monotonic: data.isMonotonic ?? undefined,
          points: (data.dataPoints ?? []).map((p: unknown) => point(p, binary)),
        });
      }
    }
  }
  return out;
}

export async function startMetricsReceiver(): Promise<MetricsReceiver> {
  const metrics: ReceivedMetric[] = [];
  const spans: ReceivedSpan[] = [];
  const server = await serveOtlp((path, body, json) => {
    if (path.endsWith('/v1/metrics')) {
      metrics.push(
        ...(json
          ? normalise(JSON.parse(body.toString('utf8')), false)
          : normalise(
              ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), { longs: String, defaults: false }),
              true,
            )),
      );
    } else if (path.endsWith('/v1/traces')) {
      spans.push(...(json ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)));
    }
  });
  return {
    url: server.url,
    metrics,
    spans,
    requests: server.requests,
    waitFor: (predicate, timeoutMillis = 15_000) =>
      until(
        () => predicate(metrics),
        timeoutMillis,
        () => `metrics never matched; received: ${[...new Set(metrics.map((m) => m.name))].join(', ')}`,
      ),
    close: server.close,
  };
}

/** The last received data of a metric (cumulative metrics: the latest totals). */
export function latest(metrics: ReceivedMetric[], name: string): ReceivedMetric | undefined {
  return metrics.filter((m) => m.name === name).at(-1);
}
