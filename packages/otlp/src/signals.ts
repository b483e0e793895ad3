// The OTLP signals and what differs between them on the wire: the HTTP path, the gRPC method, the
// OTLP/JSON transcoding, and the name of the partial-success count in a JSON response.
import { logsRequestToObject, traceRequestToObject } from './json-transcoder.js';
import { metricsRequestToObject } from './json-metrics.js';
import { profilesRequestToObject } from './json-profiles.js';

/** `profiles` is OTLP's development signal (v1development): its paths carry that version. */
export const SIGNALS = ['traces', 'metrics', 'logs', 'profiles'] as const;
export type Signal = (typeof SIGNALS)[number];

export const HTTP_PATHS: Record<Signal, string> = {
  traces: '/v1/traces',
  metrics: '/v1/metrics',
  logs: '/v1/logs',
  profiles: '/v1development/profiles',
};

export const GRPC_PATHS: Record<Signal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  profiles: '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export',
};

export const JSON_REJECTED_KEYS: Record<Signal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
  profiles: 'rejectedProfiles',
};

/** Protobuf request to OTLP/JSON, per signal that has a transcoder. */
export const JSON_TRANSCODERS: Record<Signal, (protobuf: Uint8Array) => unknown> = {
  traces: traceRequestToObject,
  metrics: metricsRequestToObject,
  logs: logsRequestToObject,
  profiles: profilesRequestToObject,
};
