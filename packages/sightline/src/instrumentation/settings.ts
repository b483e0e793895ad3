// What the instrumentations take from the configuration (config/ builds it from OTEL_* variables and
// init() options): which of them run, and the settings of the HTTP, messaging and log ones.

/** Instrumentation names for OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export const INSTRUMENTATION_NAMES = [
  'http',
  'undici',
  'fastify',
  'express',
  'nestjs',
  'hono',
  'pg',
  'ioredis',
  'redis',
  'bullmq',
  'pg-boss',
  'pino',
  'winston',
  'bunyan',
  'console',
  'child_process',
] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

export interface HttpSettings {
  /** Requests whose path and query match any of these make no span (and nothing under them is traced). */
  excludedUrls: RegExp[];
  /** Lower-case header names captured as http.request.header.* / http.response.header.* attributes. */
  captureHeaders: { serverRequest: string[]; serverResponse: string[]; clientRequest: string[]; clientResponse: string[] };
  /** Adds the Server-Timing `trace` entry naming the server span to every traced response. */
  serverTiming: boolean;
  /** Query keys whose values are replaced by REDACTED in url.query, url.full and captured URL headers; `default` stands for the built-in list. */
  redactQueryKeys: string[];
}

export interface MessagingSettings {
  /** A consumer span continues the producer's trace (and links to it), or starts its own trace with only the link. */
  consumerTrace: 'child' | 'link';
}

export interface LogCorrelationSettings {
  /** Field names for the ids stamped on log records written inside a span. */
  traceIdKey: string;
  spanIdKey: string;
  traceFlagsKey: string;
  /** Stamp the ids on lines written inside unsampled spans too (whose traces the backend never gets). */
  stampUnsampled: boolean;
}

export interface InstrumentationSettings {
  http: HttpSettings;
  messaging: MessagingSettings;
  logs: LogCorrelationSettings;
}
