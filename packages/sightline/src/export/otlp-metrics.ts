// Encodes collected metrics as an OTLP ExportMetricsServiceRequest
// (opentelemetry/proto/metrics/v1/metrics.proto): one request per collection, the resource once,
// metrics grouped by instrumentation scope.
import { performance } from 'node:perf_hooks';
import { ProtoWriter, WIRE_FIXED64, WIRE_LDELIM, WIRE_VARINT } from '@sightline/otlp';
import type {
  DataPoint,
  ExponentialBuckets,
  ExponentialHistogramPoint,
  HistogramPoint,
  MetricData,
  ResourceMetrics,
  Temporality,
} from '../metrics/types.js';
import { writeAttributes } from './otlp-attributes.js';
import { OtlpEnvelope } from './otlp-envelope.js';

const TWO_32 = 4294967296;
const ORIGIN = performance.timeOrigin;
const ORIGIN_MS = Math.floor(ORIGIN);
const ORIGIN_NS = BigInt(ORIGIN_MS) * 1_000_000n + BigInt(Math.round((ORIGIN - ORIGIN_MS) * 1e6));

/** AggregationTemporality: DELTA = 1, CUMULATIVE = 2. */
const temporalityCode = (t: Temporality): number => (t === 'delta' ? 1 : 2);

/** Epoch milliseconds as a fixed64 of Unix nanoseconds. Exact to the nanosecond for times near now. */
function writeTime(w: ProtoWriter, field: number, epochMs: number): void {
  const ns = ORIGIN_NS + BigInt(Math.round((epochMs - ORIGIN) * 1e6));
  w.tag(field, WIRE_FIXED64);
  w.fixed64(Number(ns >> 32n), Number(ns & 0xffffffffn));
}

function writeFixed64Count(w: ProtoWriter, value: number): void {
  w.fixed64(Math.floor(value / TWO_32), value % TWO_32);
}

function writeSfixed64(w: ProtoWriter, value: number): void {
  if (value >= 0) {
    writeFixed64Count(w, value);
    return;
  }
  const bits = BigInt.asUintN(64, BigInt(value));
  w.fixed64(Number(bits >> 32n), Number(bits & 0xffffffffn));
}

function writeDouble(w: ProtoWriter, field: number, value: number): void {
  w.tag(field, WIRE_FIXED64);
  w.double(value);
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** How many data points a request holds: what the export worker counts. */
export function countPoints(metrics: MetricData[]): number {
  let n = 0;
  for (const metric of metrics) n += metric.points.length;
  return n;
}

export class OtlpMetricsEncoder {
  private readonly envelope: OtlpEnvelope;

  constructor(resource: ResourceMetrics['resource']) {
    this.envelope = new OtlpEnvelope(resource);
  }

  encode(metrics: MetricData[]): Uint8Array {
    return this.envelope.encode(metrics, Math.ceil((countPoints(metrics) * 200) / Math.max(1, metrics.length)), writeMetric);
  }
}

function writeMetric(w: ProtoWriter, metric: MetricData): void {
  const { descriptor } = metric;
  w.fork(2); // Metric
  w.string(1, descriptor.name);
  if (descriptor.description) w.string(2, descriptor.description);
  if (descriptor.unit) w.string(3, descriptor.unit);
  switch (metric.dataType) {
    case 'gauge':
      w.fork(5);
      for (const point of metric.points) writeNumberPoint(w, point, descriptor.integer);
      w.join();
      break;
    case 'sum':
      w.fork(7);
      for (const point of metric.points) writeNumberPoint(w, point, descriptor.integer);
      w.tag(2, WIRE_VARINT);
      w.uint32(temporalityCode(metric.temporality));
      if (metric.monotonic) {
        w.tag(3, WIRE_VARINT);
        w.uint32(1);
      }
      w.join();
      break;
    case 'histogram':
      w.fork(9);
      for (const point of metric.points) writeHistogramPoint(w, point as DataPoint<HistogramPoint>, descriptor.integer);
      w.tag(2, WIRE_VARINT);
      w.uint32(temporalityCode(metric.temporality));
      w.join();
      break;
    case 'exponential':
      w.fork(10);
      for (const point of metric.points) writeExponentialPoint(w, point as DataPoint<ExponentialHistogramPoint>, descriptor.integer);
      w.tag(2, WIRE_VARINT);
      w.uint32(temporalityCode(metric.temporality));
      w.join();
      break;
  }
  w.join();
}

function writeNumberValue(w: ProtoWriter, value: number, integer: boolean, doubleField: number, intField: number): void {
  if (integer && Number.isSafeInteger(value)) {
    w.tag(intField, WIRE_FIXED64);
    writeSfixed64(w, value);
  } else {
    writeDouble(w, doubleField, value);
  }
}

function writeNumberPoint(w: ProtoWriter, point: DataPoint, integer: boolean): void {
  w.fork(1); // NumberDataPoint
  writeTime(w, 2, point.startTime);
  writeTime(w, 3, point.time);
  writeNumberValue(w, (point.value as { value: number }).value, integer, 4, 6);
  for (const exemplar of point.exemplars) writeExemplar(w, 5, exemplar, integer);
  writeAttributes(w, 7, point.attributes);
  w.join();
}

function writeHistogramPoint(w: ProtoWriter, point: DataPoint<HistogramPoint>, integer: boolean): void {
  const h = point.value;
  w.fork(1); // HistogramDataPoint
  writeTime(w, 2, point.startTime);
  writeTime(w, 3, point.time);
  w.tag(4, WIRE_FIXED64);
  writeFixed64Count(w, h.count);
  writeDouble(w, 5, h.sum);
  w.tag(6, WIRE_LDELIM); // packed fixed64
  w.uint32(h.counts.length * 8);
  for (const count of h.counts) writeFixed64Count(w, count);
  if (h.boundaries.length > 0) {
    w.tag(7, WIRE_LDELIM); // packed double
    w.uint32(h.boundaries.length * 8);
    for (const bound of h.boundaries) w.double(bound);
  }
  for (const exemplar of point.exemplars) writeExemplar(w, 8, exemplar, integer);
  writeAttributes(w, 9, point.attributes);
  if (h.min !== undefined) writeDouble(w, 11, h.min);
  if (h.max !== undefined) writeDouble(w, 12, h.max);
  w.join();
}

function writeBuckets(w: ProtoWriter, field: number, buckets: ExponentialBuckets): void {
  w.fork(field);
  if (buckets.offset !== 0) {
    w.tag(1, WIRE_VARINT);
    w.uint32(zigzag32(buckets.offset));
  }
  if (buckets.counts.length > 0) {
    w.fork(2); // packed uint64
    for (const count of buckets.counts) w.int64(count);
    w.join();
  }
  w.join();
}

function writeExponentialPoint(w: ProtoWriter, point: DataPoint<ExponentialHistogramPoint>, integer: boolean): void {
  const h = point.value;
  w.fork(1); // ExponentialHistogramDataPoint
  writeAttributes(w, 1, point.attributes);
  writeTime(w, 2, point.startTime);
  writeTime(w, 3, point.time);
  w.tag(4, WIRE_FIXED64);
  writeFixed64Count(w, h.count);
  writeDouble(w, 5, h.sum);
  if (h.scale !== 0) {
    w.tag(6, WIRE_VARINT);
    w.uint32(zigzag32(h.scale));
  }
  w.tag(7, WIRE_FIXED64);
  writeFixed64Count(w, h.zeroCount);
  writeBuckets(w, 8, h.positive);
  writeBuckets(w, 9, h.negative);
  for (const exemplar of point.exemplars) writeExemplar(w, 11, exemplar, integer);
  if (h.min !== undefined) writeDouble(w, 12, h.min);
  if (h.max !== undefined) writeDouble(w, 13, h.max);
  w.join();
}

function writeExemplar(w: ProtoWriter, field: number, exemplar: DataPoint['exemplars'][number], integer: boolean): void {
  w.fork(field);
  writeTime(w, 2, exemplar.time);
  writeNumberValue(w, exemplar.value, integer, 3, 6);
  w.hexBytes(4, exemplar.spanId);
  w.hexBytes(5, exemplar.traceId);
  w.join();
}
