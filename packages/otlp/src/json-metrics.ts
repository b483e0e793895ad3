// ExportMetricsServiceRequest (metrics.proto) to its OTLP/JSON object form: for the SDK's http/json
// metrics export and the viewer's metrics store. 64-bit counts are decimal strings, as OTLP/JSON says.
import type { ExportMetricsServiceRequest } from './messages.js';
import { keyValue, push, resourceGroup, type Json } from './json-transcoder.js';
import { Reader } from './protobuf-reader.js';

const fixed64 = (r: Reader): string => r.fixed64String();
const double = (r: Reader): number | string => r.double();
const varintString = (r: Reader): string => r.varintString();

function exemplar(r: Reader): Json {
  const out: Json = {};
  r.each((n) => {
    if (n === 7) push(out, 'filteredAttributes', keyValue(r.sub()));
    else if (n === 2) out.timeUnixNano = r.fixed64String();
    else if (n === 3) out.asDouble = r.double();
    else if (n === 6) out.asInt = r.sfixed64String();
    else if (n === 4) out.spanId = r.hex();
    else if (n === 5) out.traceId = r.hex();
    else return false;
    return true;
  });
  return out;
}

function numberPoint(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    if (n === 7) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 2) out.startTimeUnixNano = r.fixed64String();
    else if (n === 3) out.timeUnixNano = r.fixed64String();
    else if (n === 4) out.asDouble = r.double();
    else if (n === 6) out.asInt = r.sfixed64String();
    else if (n === 5) push(out, 'exemplars', exemplar(r.sub()));
    else if (n === 8) out.flags = r.varint();
    else return false;
    return true;
  });
  return out;
}

function histogramPoint(r: Reader): Json {
  const out: Json = { attributes: [], bucketCounts: [], explicitBounds: [] };
  r.each((n) => {
    if (n === 9) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 2) out.startTimeUnixNano = r.fixed64String();
    else if (n === 3) out.timeUnixNano = r.fixed64String();
    else if (n === 4) out.count = r.fixed64String();
    else if (n === 5) out.sum = r.double();
    else if (n === 6) (out.bucketCounts as string[]).push(...r.repeated(fixed64, 1));
    else if (n === 7) (out.explicitBounds as Array<number | string>).push(...r.repeated(double, 1));
    else if (n === 8) push(out, 'exemplars', exemplar(r.sub()));
    else if (n === 10) out.flags = r.varint();
    else if (n === 11) out.min = r.double();
    else if (n === 12) out.max = r.double();
    else return false;
    return true;
  });
  return out;
}

function buckets(r: Reader): Json {
  const out: Json = { offset: 0, bucketCounts: [] };
  r.each((n) => {
    if (n === 1) out.offset = r.sint32();
    else if (n === 2) (out.bucketCounts as string[]).push(...r.repeated(varintString, 0));
    else return false;
    return true;
  });
  return out;
}

function exponentialPoint(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    if (n === 1) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 2) out.startTimeUnixNano = r.fixed64String();
    else if (n === 3) out.timeUnixNano = r.fixed64String();
    else if (n === 4) out.count = r.fixed64String();
    else if (n === 5) out.sum = r.double();
    else if (n === 6) out.scale = r.sint32();
    else if (n === 7) out.zeroCount = r.fixed64String();
    else if (n === 8) out.positive = buckets(r.sub());
    else if (n === 9) out.negative = buckets(r.sub());
    else if (n === 10) out.flags = r.varint();
    else if (n === 11) push(out, 'exemplars', exemplar(r.sub()));
    else if (n === 12) out.min = r.double();
    else if (n === 13) out.max = r.double();
    else if (n === 14) out.zeroThreshold = r.double();
    else return false;
    return true;
  });
  return out;
}

/** Gauge, Sum, Histogram, ExponentialHistogram and Summary share { data_points = 1; temporality = 2 }. */
function dataOf(r: Reader, point: (r: Reader) => Json): Json {
  const out: Json = { dataPoints: [] };
  r.each((n) => {
    if (n === 1) push(out, 'dataPoints', point(r.sub()));
    else if (n === 2) out.aggregationTemporality = r.varint();
    else if (n === 3) out.isMonotonic = r.varint() !== 0;
    else return false;
    return true;
  });
  return out;
}

function summaryPoint(r: Reader): Json {
  const out: Json = { attributes: [], quantileValues: [] };
  r.each((n) => {
    if (n === 7) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 2) out.startTimeUnixNano = r.fixed64String();
    else if (n === 3) out.timeUnixNano = r.fixed64String();
    else if (n === 4) out.count = r.fixed64String();
    else if (n === 5) out.sum = r.double();
    else if (n === 6) {
      const q = r.sub();
      const value: Json = {};
      q.each((m) => {
        if (m === 1) value.quantile = q.double();
        else if (m === 2) value.value = q.double();
        else return false;
        return true;
      });
      push(out, 'quantileValues', value);
    } else if (n === 8) out.flags = r.varint();
    else return false;
    return true;
  });
  return out;
}

function metric(r: Reader): Json {
  const out: Json = {};
  r.each((n) => {
    if (n === 1) out.name = r.string();
    else if (n === 2) out.description = r.string();
    else if (n === 3) out.unit = r.string();
    else if (n === 5) out.gauge = dataOf(r.sub(), numberPoint);
    else if (n === 7) out.sum = dataOf(r.sub(), numberPoint);
    else if (n === 9) out.histogram = dataOf(r.sub(), histogramPoint);
    else if (n === 10) out.exponentialHistogram = dataOf(r.sub(), exponentialPoint);
    else if (n === 11) out.summary = dataOf(r.sub(), summaryPoint);
    else if (n === 12) push(out, 'metadata', keyValue(r.sub()));
    else return false;
    return true;
  });
  return out;
}

/** Decodes an ExportMetricsServiceRequest into its OTLP/JSON object form; throws ProtoError on malformed input. */
export function metricsRequestToObject(bytes: Uint8Array): ExportMetricsServiceRequest {
  const r = Reader.of(bytes);
  const request = { resourceMetrics: [] as Json[] };
  r.each((n) => (n === 1 ? (request.resourceMetrics.push(resourceGroup(r.sub(), 'scopeMetrics', 'metrics', metric)), true) : false));
  return request as ExportMetricsServiceRequest;
}
