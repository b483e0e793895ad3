// What differs between the signals on the wire: the gRPC method, the OTLP/JSON transcoding done in
// the worker for http/json, and the name of the partial-success count in a JSON response.
import type { Signal } from '../export-counters.js';
import { logsRequestToObject, traceRequestToObject } from '../otlp-decode/otlp-json-transcoder.js';

export const GRPC_PATHS: Record<Signal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

export const JSON_REJECTED_KEYS: Record<Signal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

/** Protobuf request to OTLP/JSON, per signal that has a transcoder. */
export const JSON_TRANSCODERS: Partial<Record<Signal, (protobuf: Uint8Array) => unknown>> = {
  traces: traceRequestToObject,
  logs: logsRequestToObject,
};
