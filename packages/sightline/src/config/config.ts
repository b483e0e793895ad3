// Turns OTEL_* / SIGHTLINE_* environment variables and init() options into one typed Config.
// Options given to init() win over the environment. This is the only module that reads process.env.
import type { Attributes } from '@opentelemetry/api';
import { log, LOG_LEVELS, type LogLevel } from '../diag/logger.js';
import { EnvReader, type Env } from './env-reader.js';
import { withPm2AppEnv } from './pm2-env.js';
import type { BatchConfig } from '../export/batch-queue.js';
import { PROTOCOLS, type OtlpConfig, type OtlpProtocol } from '../export/otlp-config.js';
import { EXPORTERS, type ExporterName } from '../export/span-exporter.js';
import type { QueueSettings } from '../export/worker/export-queue.js';
import { DEFAULT_KEYS_TOKEN } from '../instrumentation/redaction/url-query.js';
import {
  INSTRUMENTATION_NAMES,
  type HttpSettings,
  type InstrumentationName,
  type LogCorrelationSettings,
  type MessagingSettings,
} from '../instrumentation/settings.js';
import type { PropagatorName } from '../propagation/composite.js';
import { GRACEFUL_TIMEOUT_VARIABLE, WORKER_INDEX_VARIABLE } from '../lifecycle/run-protocol.js';
import type { RunWorkerSettings } from '../lifecycle/run-worker.js';
import type { SpanLimits } from '../trace/limits.js';
import { SAMPLER_NAMES, type Sampler, type SamplerConfig, type SamplerName } from '../trace/sampler.js';
import type { TailSamplingSettings } from '../trace/tail-sampler.js';
import type { ProfilingSettings } from '../profiling/settings.js';
import { HTTP_PATHS, type Signal } from '@sightline/otlp';
import { DEFAULT_HISTOGRAMS, type DefaultHistogram } from '../metrics/aggregation/select.js';
import { EXEMPLAR_FILTERS, type ExemplarFilter } from '../metrics/exemplars.js';
import { GC_ENTRIES_ARE_CHEAP, METRICS_EXPORTERS, type MetricsExporterName, type MetricsSettings } from '../metrics/settings.js';
import { TEMPORALITY_PREFERENCES, type TemporalityPreference } from '../metrics/temporality.js';
import type { View } from '../metrics/view.js';
import { LOGS_EXPORTERS, type LogsExporterName, type LogsSettings } from '../logs/settings.js';
import { SEVERITY_NAMES, severityOfName, type SeverityName } from '../logs/severity.js';

export type ExportQueueConfig = QueueSettings;
export const EXPORT_THREADS = ['auto', 'main', 'worker'] as const;
export type ExportThread = (typeof EXPORT_THREADS)[number];

export type { BatchConfig, ExporterName, OtlpConfig, OtlpProtocol, PropagatorName, SamplerConfig, SamplerName, SpanLimits };
export type { HttpSettings, InstrumentationName, LogCorrelationSettings, MessagingSettings };

export interface Config {
  disabled: boolean;
  logLevel: LogLevel;
  /** Undefined when neither OTEL_SERVICE_NAME, service.name in the resource nor an option set it. */
  serviceName: string | undefined;
  resourceAttributes: Attributes;
  sampler: SamplerConfig | Sampler;
  /** In-process tail sampling of the traces head sampling drops (SIGHTLINE_TAIL_*). */
  tailSampling: TailSamplingSettings;
  /** The continuous profiler, its samples labelled with spans (SIGHTLINE_PROFILING_*), and where OTLP profiles go. */
  profiling: ProfilingSettings & { otlp: OtlpConfig };
  propagators: PropagatorName[];
  spanLimits: SpanLimits;
  batch: BatchConfig;
  /** The export worker's queue, shared by every signal. */
  exportQueue: ExportQueueConfig;
  /**
   * SIGHTLINE_EXPORT_THREAD: which thread delivers OTLP. `main`: the app's event loop, with a thread
   * started only at process exit; `worker`: a worker thread for the life of the process (~18 MB of
   * RSS); `auto` (the default): `main` when every endpoint is plain `http:` over OTLP/HTTP, else
   * `worker` (see exportThreadFor).
   */
  exportThread: ExportThread;
  exporter: ExporterName;
  otlp: OtlpConfig;
  /** The metrics settings, and where OTLP metrics go (OTEL_EXPORTER_OTLP_METRICS_*). */
  metrics: MetricsSettings & { otlp: OtlpConfig };
  /** How long a flush at exit, SIGTERM or shutdown() may take before giving up. */
  shutdownTimeoutMillis: number;
  instrumentations: InstrumentationName[];
  http: HttpSettings;
  messaging: MessagingSettings;
  logs: LogCorrelationSettings;
  /** The logs signal: exporter, batching, limits, minimum severity, and where OTLP logs go (OTEL_EXPORTER_OTLP_LOGS_*). */
  logRecords: LogsSettings & { otlp: OtlpConfig };
  /** TRACEPARENT, TRACESTATE and BAGGAGE as a parent process passed them: the context this process starts in. */
  inheritedContext: Record<string, string>;
  /** Set in a `sightline run` worker (SIGHTLINE_RUN_WORKER_INDEX, SIGHTLINE_RUN_GRACEFUL_TIMEOUT); undefined outside one. */
  runWorker: RunWorkerSettings | undefined;
  /** The environment snapshot that resource detection reads (Kubernetes downward API, etc.). */
  env: Env;
}

export interface InitOptions {
  serviceName?: string;
  resourceAttributes?: Attributes;
  /** A sampler name with an optional ratio, or any object with shouldSample() (e.g. an OpenTelemetry SDK sampler). */
  sampler?: SamplerName | SamplerConfig | Sampler;
  /** Shorthand for parentbased_traceidratio with this ratio. */
  sampleRatio?: number;
  /** Keep, in the process, the traces head sampling dropped that failed, were slow or match an attribute rule. */
  tailSampling?: Partial<TailSamplingSettings>;
  /** A continuous CPU and wall-time profiler whose samples name the span and route they ran under. */
  profiling?: Partial<ProfilingSettings>;
  propagators?: PropagatorName[];
  spanLimits?: Partial<SpanLimits>;
  batch?: Partial<BatchConfig>;
  /** The export worker's queue: `maxQueueBytes` (SIGHTLINE_EXPORT_MAX_QUEUE_BYTES) and `maxConcurrentRequests` (SIGHTLINE_EXPORT_CONCURRENCY). */
  exportQueue?: Partial<ExportQueueConfig>;
  /** Which thread delivers OTLP (SIGHTLINE_EXPORT_THREAD): `auto` (the default), `main` or `worker`. */
  exportThread?: ExportThread;
  exporter?: ExporterName;
  otlp?: Partial<OtlpConfig> & { endpoint?: string };
  logLevel?: LogLevel;
  shutdownTimeoutMillis?: number;
  disabled?: boolean;
  /** Which instrumentations to install (default: all whose library is used). */
  instrumentations?: { enabled?: InstrumentationName[]; disabled?: InstrumentationName[] };
  http?: {
    /** Strings are regular expressions searched in the request's path and query, as in the Python SDK. */
    excludedUrls?: Array<string | RegExp>;
    captureHeaders?: Partial<HttpSettings['captureHeaders']>;
    serverTiming?: boolean;
    /** Replaces the query keys redacted by default; include `'default'` to add to them, or pass `[]` to redact nothing. */
    redactQueryKeys?: string[];
  };
  messaging?: Partial<MessagingSettings>;
  /** The log bridges: trace-id field names, whether to stamp lines of unsampled requests, and whether console.* is bridged. */
  logs?: Partial<LogCorrelationSettings> & {
    /** OTEL_LOGS_EXPORTER; `none` exports no log records (trace ids are still stamped). */
    exporter?: LogsExporterName;
    /** SIGHTLINE_LOGS_MIN_SEVERITY: a name (`info`) or a severity number (1-24). */
    minSeverity?: SeverityName | number;
    /** SIGHTLINE_LOGS_CONSOLE: export console.log/info/warn/error/debug/trace calls as records. */
    console?: boolean;
    batch?: Partial<LogsSettings['batch']>;
    limits?: Partial<LogsSettings['limits']>;
  };
  metrics?: {
    /** OTEL_METRICS_EXPORTER; `[]` for none. */
    exporters?: MetricsExporterName[];
    intervalMillis?: number;
    timeoutMillis?: number;
    temporality?: TemporalityPreference;
    views?: View[];
    exemplarFilter?: ExemplarFilter;
    /** Series per metric (default 2000); a view's own limit wins. */
    cardinalityLimit?: number;
    defaultHistogram?: DefaultHistogram;
    prometheus?: { host?: string; port?: number };
    /** Metric names (with `*` wildcards) to drop, e.g. `system.*` (SIGHTLINE_METRICS_DISABLED). */
    disabled?: string[];
    /** v8js.gc.duration (SIGHTLINE_METRICS_GC_DURATION): on by default from Node 26, off on Node 22 and 24. */
    gcDuration?: boolean;
  };
}

const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318';
/** What may wait for the collector, across signals: at ~300 bytes a span, a minute-long outage at 3,000 spans/s. */
const DEFAULT_EXPORT_QUEUE_BYTES = 64 * 1024 * 1024;
const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';

export function loadConfig(options: InitOptions = {}, env: Env = process.env): Config {
  env = withPm2AppEnv(env);
  const r = new EnvReader(env);

  // The log level comes first so that the warnings below honour it.
  const logLevel = options.logLevel ?? r.oneOf('OTEL_LOG_LEVEL', LOG_LEVELS, 'info');
  log.setLevel(logLevel);

  const disabled = options.disabled ?? r.boolean('OTEL_SDK_DISABLED', false);

  const resourceAttributes: Attributes = { ...(r.keyValues('OTEL_RESOURCE_ATTRIBUTES') ?? {}) };
  Object.assign(resourceAttributes, options.resourceAttributes);
  const serviceName =
    options.serviceName ??
    r.raw('OTEL_SERVICE_NAME') ??
    (typeof resourceAttributes['service.name'] === 'string' ? resourceAttributes['service.name'] : undefined);

  const shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? r.integer('SIGHTLINE_SHUTDOWN_TIMEOUT', 5000, 0);
  return {
    disabled,
    logLevel,
    serviceName,
    resourceAttributes,
    sampler: samplerConfig(r, options),
    tailSampling: tailSamplingConfig(r, options.tailSampling),
    profiling: { ...profilingConfig(r, options.profiling), otlp: otlpConfig(r, 'profiles', options.otlp) },
    propagators: options.propagators ?? propagators(r),
    spanLimits: { ...spanLimits(r), ...options.spanLimits },
    batch: batchConfig(r, options.batch),
    exportQueue: {
      maxQueueBytes:
        options.exportQueue?.maxQueueBytes ?? r.bytes('SIGHTLINE_EXPORT_MAX_QUEUE_BYTES', DEFAULT_EXPORT_QUEUE_BYTES, 64 * 1024),
      maxConcurrentRequests: options.exportQueue?.maxConcurrentRequests ?? r.integer('SIGHTLINE_EXPORT_CONCURRENCY', 4, 1, 64),
    },
    exportThread: options.exportThread ?? r.oneOf('SIGHTLINE_EXPORT_THREAD', EXPORT_THREADS, 'auto'),
    exporter: options.exporter ?? r.oneOf('OTEL_TRACES_EXPORTER', EXPORTERS, 'otlp'),
    otlp: otlpConfig(r, 'traces', options.otlp),
    metrics: metricsConfig(r, options),
    shutdownTimeoutMillis,
    instrumentations: instrumentations(r, options.instrumentations, options.logs?.console ?? r.boolean('SIGHTLINE_LOGS_CONSOLE', false)),
    http: httpConfig(r, options.http),
    messaging: {
      consumerTrace: options.messaging?.consumerTrace ?? r.oneOf('SIGHTLINE_MESSAGING_CONSUMER_TRACE', ['child', 'link'] as const, 'child'),
    },
    logs: {
      traceIdKey: options.logs?.traceIdKey ?? r.raw('SIGHTLINE_LOG_TRACE_ID_KEY') ?? 'trace_id',
      spanIdKey: options.logs?.spanIdKey ?? r.raw('SIGHTLINE_LOG_SPAN_ID_KEY') ?? 'span_id',
      traceFlagsKey: options.logs?.traceFlagsKey ?? r.raw('SIGHTLINE_LOG_TRACE_FLAGS_KEY') ?? 'trace_flags',
      stampUnsampled: options.logs?.stampUnsampled ?? r.boolean('SIGHTLINE_LOG_STAMP_UNSAMPLED', false),
    },
    logRecords: logsConfig(r, options),
    inheritedContext: inheritedContext(r),
    runWorker: runWorkerSettings(r, shutdownTimeoutMillis),
    env,
  };
}

/**
 * A `sightline run` worker, or a PM2 cluster-mode worker (PM2's own settings arrive through pm2_env):
 * both are retired with a signal (PM2 sends SIGINT, then SIGKILL after its kill_timeout) while other
 * workers keep the port, so both drain first. PM2's kill_timeout must leave time for the flush.
 */
function runWorkerSettings(r: EnvReader, shutdownTimeoutMillis: number): RunWorkerSettings | undefined {
  if (r.raw(WORKER_INDEX_VARIABLE) !== undefined) {
    return {
      index: r.integer(WORKER_INDEX_VARIABLE, 0, 0),
      gracefulTimeoutMillis: r.integer(GRACEFUL_TIMEOUT_VARIABLE, 30_000, 0),
      reportsToPrimary: true,
    };
  }
  if (r.raw('exec_mode') !== 'cluster_mode' || r.raw('pm_id') === undefined) return undefined;
  const killTimeout = r.integer('kill_timeout', Number(r.raw('PM2_KILL_TIMEOUT') ?? 1600) || 1600, 0);
  const flushMillis = shutdownTimeoutMillis + 1000;
  if (killTimeout < flushMillis) {
    log.warn(
      `PM2's kill_timeout (${killTimeout} ms) is shorter than SIGHTLINE_SHUTDOWN_TIMEOUT (${shutdownTimeoutMillis} ms) plus a second: on reload or stop PM2 may kill this worker before its telemetry is flushed; set kill_timeout in the ecosystem file to at least ${flushMillis} (more to let requests finish)`,
    );
  }
  return {
    index: r.integer('NODE_APP_INSTANCE', 0, 0),
    gracefulTimeoutMillis: Math.max(0, killTimeout - flushMillis),
    reportsToPrimary: false,
  };
}

/** The environment-variable carrier's variables, read here because this module is the only reader of the environment. */
function inheritedContext(r: EnvReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['TRACEPARENT', 'TRACESTATE', 'BAGGAGE']) {
    const value = r.raw(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function samplerConfig(r: EnvReader, options: InitOptions): SamplerConfig | Sampler {
  if (options.sampler !== undefined) {
    if (typeof options.sampler === 'string') return { name: options.sampler, ratio: options.sampleRatio ?? 1 };
    return options.sampler;
  }
  if (options.sampleRatio !== undefined) return { name: 'parentbased_traceidratio', ratio: options.sampleRatio };

  const name = r.oneOf('OTEL_TRACES_SAMPLER', SAMPLER_NAMES, 'parentbased_always_on');
  const arg = r.raw('OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (name === 'traceidratio' || name === 'parentbased_traceidratio') {
    ratio = r.ratio('OTEL_TRACES_SAMPLER_ARG', 1);
  } else if (arg !== undefined) {
    log.warn(`OTEL_TRACES_SAMPLER_ARG="${arg}" has no meaning for the sampler ${name}; ignoring it`);
  }
  return { name, ratio };
}

function propagators(r: EnvReader): PropagatorName[] {
  const names = r.list('OTEL_PROPAGATORS');
  if (names === undefined) return ['tracecontext', 'baggage'];
  const out: PropagatorName[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === 'none') return [];
    if (lower === 'tracecontext' || lower === 'baggage') {
      if (!out.includes(lower)) out.push(lower);
    } else {
      log.warn(`OTEL_PROPAGATORS names "${name}", which Sightline does not provide (it has tracecontext and baggage); leaving it out`);
    }
  }
  return out;
}

/**
 * The default attribute value length, where the specification leaves it unlimited: 128 attributes
 * this long stay under 2 MiB, half the OpenTelemetry Collector's default gRPC message limit, so no
 * single span can be refused as too large, while a whole stack trace or SQL statement still fits.
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 16384;

function spanLimits(r: EnvReader): SpanLimits {
  const attributeCount = r.integer('OTEL_ATTRIBUTE_COUNT_LIMIT', 128, 0);
  const valueLength = r.integer('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT, 0);
  return {
    attributeCountLimit: r.integer('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', attributeCount, 0),
    attributeValueLengthLimit: r.integer('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', valueLength, 0),
    eventCountLimit: r.integer('OTEL_SPAN_EVENT_COUNT_LIMIT', 128, 0),
    linkCountLimit: r.integer('OTEL_SPAN_LINK_COUNT_LIMIT', 128, 0),
    attributePerEventCountLimit: r.integer('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 128, 0),
    attributePerLinkCountLimit: r.integer('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 128, 0),
  };
}

function batchConfig(r: EnvReader, overrides: Partial<BatchConfig> | undefined): BatchConfig {
  const maxQueueSize = overrides?.maxQueueSize ?? r.integer('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1);
  let maxExportBatchSize = overrides?.maxExportBatchSize ?? r.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1);
  if (maxExportBatchSize > maxQueueSize) {
    log.warn(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than OTEL_BSP_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: overrides?.scheduledDelayMillis ?? r.integer('OTEL_BSP_SCHEDULE_DELAY', 5000, 0),
    exportTimeoutMillis: overrides?.exportTimeoutMillis ?? r.integer('OTEL_BSP_EXPORT_TIMEOUT', 30000, 1),
  };
}

function otlpConfig(r: EnvReader, signal: Signal, overrides: InitOptions['otlp']): OtlpConfig {
  const S = signal.toUpperCase();
  const protocolVar = r.first(`OTEL_EXPORTER_OTLP_${S}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  let protocol: OtlpProtocol = overrides?.protocol ?? 'http/protobuf';
  if (overrides?.protocol === undefined && protocolVar) protocol = r.oneOf(protocolVar.name, PROTOCOLS, 'http/protobuf');

  const compressionVar = r.first(`OTEL_EXPORTER_OTLP_${S}_COMPRESSION`, 'OTEL_EXPORTER_OTLP_COMPRESSION');
  const compression = overrides?.compression ?? (compressionVar ? r.oneOf(compressionVar.name, ['gzip', 'none'] as const, 'none') : 'none');

  const timeoutVar = r.first(`OTEL_EXPORTER_OTLP_${S}_TIMEOUT`, 'OTEL_EXPORTER_OTLP_TIMEOUT');
  const timeoutMillis = overrides?.timeoutMillis ?? (timeoutVar ? r.integer(timeoutVar.name, 10000, 1) : 10000);

  // Signal-specific headers are added to, and override, the general ones.
  const headers = {
    ...(r.keyValues('OTEL_EXPORTER_OTLP_HEADERS') ?? {}),
    ...(r.keyValues(`OTEL_EXPORTER_OTLP_${S}_HEADERS`) ?? {}),
    ...overrides?.headers,
  };

  const insecureVar = r.first(`OTEL_EXPORTER_OTLP_${S}_INSECURE`, 'OTEL_EXPORTER_OTLP_INSECURE');
  const insecure = insecureVar ? r.boolean(insecureVar.name, false) : false;

  const url = (signal === 'traces' ? overrides?.url : undefined) ?? endpointUrl(r, signal, protocol, overrides?.endpoint, insecure);

  const file = (specific: string, general: string): string | undefined => r.first(specific, general)?.value;
  return {
    protocol,
    url,
    headers,
    compression,
    timeoutMillis,
    certificateFile: overrides?.certificateFile ?? file(`OTEL_EXPORTER_OTLP_${S}_CERTIFICATE`, 'OTEL_EXPORTER_OTLP_CERTIFICATE'),
    clientKeyFile: overrides?.clientKeyFile ?? file(`OTEL_EXPORTER_OTLP_${S}_CLIENT_KEY`, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'),
    clientCertificateFile:
      overrides?.clientCertificateFile ?? file(`OTEL_EXPORTER_OTLP_${S}_CLIENT_CERTIFICATE`, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'),
  };
}

function endpointUrl(r: EnvReader, signal: Signal, protocol: OtlpProtocol, optionEndpoint: string | undefined, insecure: boolean): string {
  const grpc = protocol === 'grpc';
  const path = HTTP_PATHS[signal];
  const fallback = grpc ? DEFAULT_GRPC_ENDPOINT : `${DEFAULT_HTTP_ENDPOINT}${path}`;
  const specificName = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const specific = r.raw(specificName);
  const general = optionEndpoint ?? r.raw('OTEL_EXPORTER_OTLP_ENDPOINT');
  const [name, value, isBase] =
    optionEndpoint !== undefined
      ? ['otlp.endpoint', optionEndpoint, true]
      : specific !== undefined
        ? [specificName, specific, false]
        : general !== undefined
          ? ['OTEL_EXPORTER_OTLP_ENDPOINT', general, true]
          : [undefined, undefined, false];
  if (name === undefined || value === undefined) return fallback;

  // gRPC endpoints may omit the scheme; OTEL_EXPORTER_OTLP_INSECURE then chooses plaintext or TLS.
  const withScheme = grpc && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? `${insecure ? 'http' : 'https'}://${value}` : value;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // The general variable serves every signal: one warning, naming the base used instead.
    r.warnBadOnce(name, value, 'not a valid URL', isBase ? fallback.slice(0, fallback.length - (grpc ? 0 : path.length)) : fallback);
    return fallback;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    r.warnBadOnce(
      name,
      value,
      'not an http or https URL',
      isBase ? fallback.slice(0, fallback.length - (grpc ? 0 : path.length)) : fallback,
    );
    return fallback;
  }
  if (grpc) return url.origin;
  // The general endpoint is a base to which the signal path is appended; the signal-specific one is used as-is.
  if (isBase) return url.href.replace(/\/+$/, '') + path;
  return url.href;
}

/** Instrumentations that run only when asked for: the console bridge (every console.* call would become a record). */
const OFF_BY_DEFAULT: readonly InstrumentationName[] = ['console'];

function instrumentations(r: EnvReader, overrides: InitOptions['instrumentations'], consoleBridge: boolean): InstrumentationName[] {
  const known = (name: string, list: string[]): InstrumentationName[] =>
    list.flatMap((entry) => {
      const lower = entry.toLowerCase();
      if ((INSTRUMENTATION_NAMES as readonly string[]).includes(lower)) return [lower as InstrumentationName];
      log.warn(`${name} names "${entry}", which is not one of ${INSTRUMENTATION_NAMES.join(', ')}; ignoring it`);
      return [];
    });
  const enabledList = overrides?.enabled ?? r.list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabledList = overrides?.disabled ?? r.list('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [];
  const enabled =
    enabledList === undefined
      ? INSTRUMENTATION_NAMES.filter((name) => !OFF_BY_DEFAULT.includes(name))
      : known('OTEL_NODE_ENABLED_INSTRUMENTATIONS', enabledList);
  if (consoleBridge && !enabled.includes('console')) enabled.push('console');
  const disabled = known('OTEL_NODE_DISABLED_INSTRUMENTATIONS', disabledList);
  return enabled.filter((name) => !disabled.includes(name));
}

/** Turns OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS entries into patterns; a bad one is used literally. */
export function urlPatterns(name: string, entries: Array<string | RegExp>): RegExp[] {
  return entries.map((entry) => {
    if (entry instanceof RegExp) return entry;
    try {
      return new RegExp(entry);
    } catch {
      log.warn(`${name} entry "${entry}" is not a valid regular expression; matching it as plain text`);
      return new RegExp(entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    }
  });
}

/** SIGHTLINE_REDACT_QUERY_KEYS: a list that replaces the defaults (`default` stands for them); `none` redacts nothing. */
function redactQueryKeys(r: EnvReader): string[] {
  const list = r.list('SIGHTLINE_REDACT_QUERY_KEYS');
  if (list === undefined) return [DEFAULT_KEYS_TOKEN];
  if (list.length === 1 && list[0]!.toLowerCase() === 'none') return [];
  return list.map((key) => (key.toLowerCase() === DEFAULT_KEYS_TOKEN ? DEFAULT_KEYS_TOKEN : key));
}

function httpConfig(r: EnvReader, overrides: InitOptions['http']): HttpSettings {
  const headers = (suffix: string): string[] =>
    (r.list(`OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_${suffix}`) ?? []).map((h) => h.toLowerCase());
  const captured = overrides?.captureHeaders;
  const lower = (list: string[] | undefined): string[] | undefined => list?.map((h) => h.toLowerCase());
  return {
    excludedUrls: urlPatterns(
      'OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS',
      overrides?.excludedUrls ?? r.list('OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS') ?? [],
    ),
    captureHeaders: {
      serverRequest: lower(captured?.serverRequest) ?? headers('SERVER_REQUEST'),
      serverResponse: lower(captured?.serverResponse) ?? headers('SERVER_RESPONSE'),
      clientRequest: lower(captured?.clientRequest) ?? headers('CLIENT_REQUEST'),
      clientResponse: lower(captured?.clientResponse) ?? headers('CLIENT_RESPONSE'),
    },
    serverTiming: overrides?.serverTiming ?? r.boolean('SIGHTLINE_SERVER_TIMING', true),
    redactQueryKeys: overrides?.redactQueryKeys ?? redactQueryKeys(r),
  };
}

function metricsExporters(r: EnvReader): MetricsExporterName[] {
  const names = r.list('OTEL_METRICS_EXPORTER');
  if (names === undefined) return ['otlp'];
  const out: MetricsExporterName[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === 'none') return [];
    if ((METRICS_EXPORTERS as readonly string[]).includes(lower)) {
      if (!out.includes(lower as MetricsExporterName)) out.push(lower as MetricsExporterName);
    } else {
      log.warn(`OTEL_METRICS_EXPORTER names "${name}", which is not one of ${METRICS_EXPORTERS.join(', ')}, none; leaving it out`);
    }
  }
  return out;
}

function metricsConfig(r: EnvReader, options: InitOptions): MetricsSettings & { otlp: OtlpConfig } {
  const m = options.metrics;
  const disabled = m?.disabled ?? r.list('SIGHTLINE_METRICS_DISABLED') ?? [];
  // Dropping by name is a view with the drop aggregation; the user's views come after, so a drop wins.
  const views: View[] = [...disabled.map((name): View => ({ instrumentName: name, aggregation: { type: 'drop' } })), ...(m?.views ?? [])];
  const port = m?.prometheus?.port ?? r.integer('OTEL_EXPORTER_PROMETHEUS_PORT', 9464, 0, 65535);
  return {
    exporters: m?.exporters ?? metricsExporters(r),
    otlp: otlpConfig(r, 'metrics', options.otlp),
    intervalMillis: m?.intervalMillis ?? r.integer('OTEL_METRIC_EXPORT_INTERVAL', 60_000, 1),
    timeoutMillis: m?.timeoutMillis ?? r.integer('OTEL_METRIC_EXPORT_TIMEOUT', 30_000, 1),
    temporality: m?.temporality ?? r.oneOf('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', TEMPORALITY_PREFERENCES, 'cumulative'),
    prometheus: { host: m?.prometheus?.host ?? r.raw('OTEL_EXPORTER_PROMETHEUS_HOST') ?? 'localhost', port },
    sdk: {
      views,
      exemplarFilter: m?.exemplarFilter ?? r.oneOf('OTEL_METRICS_EXEMPLAR_FILTER', EXEMPLAR_FILTERS, 'trace_based'),
      cardinalityLimit: m?.cardinalityLimit ?? r.integer('SIGHTLINE_METRICS_CARDINALITY_LIMIT', 2000, 2),
      defaultHistogram:
        m?.defaultHistogram ??
        r.oneOf('OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION', DEFAULT_HISTOGRAMS, 'explicit_bucket_histogram'),
    },
    gcDuration: m?.gcDuration ?? r.boolean('SIGHTLINE_METRICS_GC_DURATION', GC_ENTRIES_ARE_CHEAP),
  };
}

function logsConfig(r: EnvReader, options: InitOptions): LogsSettings & { otlp: OtlpConfig } {
  const l = options.logs;
  const maxQueueSize = l?.batch?.maxQueueSize ?? r.integer('OTEL_BLRP_MAX_QUEUE_SIZE', 2048, 1);
  let maxExportBatchSize = l?.batch?.maxExportBatchSize ?? r.integer('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512, 1);
  if (maxExportBatchSize > maxQueueSize) {
    log.warn(
      `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than OTEL_BLRP_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }
  const attributeCount = r.integer('OTEL_ATTRIBUTE_COUNT_LIMIT', 128, 0);
  const valueLength = r.integer('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT, 0);
  return {
    exporter: l?.exporter ?? r.oneOf('OTEL_LOGS_EXPORTER', LOGS_EXPORTERS, 'otlp'),
    otlp: otlpConfig(r, 'logs', options.otlp),
    batch: {
      maxQueueSize,
      maxExportBatchSize,
      scheduledDelayMillis: l?.batch?.scheduledDelayMillis ?? r.integer('OTEL_BLRP_SCHEDULE_DELAY', 1000, 0),
      exportTimeoutMillis: l?.batch?.exportTimeoutMillis ?? r.integer('OTEL_BLRP_EXPORT_TIMEOUT', 30000, 1),
    },
    limits: {
      attributeCountLimit: l?.limits?.attributeCountLimit ?? r.integer('OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', attributeCount, 0),
      attributeValueLengthLimit:
        l?.limits?.attributeValueLengthLimit ?? r.integer('OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', valueLength, 0),
    },
    minSeverity: minSeverity(r, l?.minSeverity),
  };
}

/** SIGHTLINE_LOGS_MIN_SEVERITY: trace, debug, info, warn, error, fatal, or a severity number 1-24. */
function minSeverity(r: EnvReader, option: SeverityName | number | undefined): number {
  const name = 'SIGHTLINE_LOGS_MIN_SEVERITY';
  const value = option === undefined ? r.raw(name) : String(option);
  if (value === undefined) return 1;
  const lower = value.toLowerCase();
  if ((SEVERITY_NAMES as readonly string[]).includes(lower)) return severityOfName(lower as SeverityName);
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1 && n <= 24) return n;
  log.warn(
    `${option === undefined ? name : 'logs.minSeverity'}="${value}" is not one of ${SEVERITY_NAMES.join(', ')} or a severity number from 1 to 24; exporting every severity`,
  );
  return 1;
}

/** SIGHTLINE_PROFILING_*: the continuous profiler, off unless asked for. */
function profilingConfig(r: EnvReader, p: Partial<ProfilingSettings> | undefined): ProfilingSettings {
  const switchValue = r.oneOf('SIGHTLINE_PROFILING', ['on', 'off', 'true', 'false'] as const, 'off');
  let endpoint = p?.endpoint ?? r.raw('SIGHTLINE_PROFILING_ENDPOINT');
  if (endpoint !== undefined) {
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      endpoint = url.href.replace(/\/+$/, '');
    } catch {
      log.warn(`SIGHTLINE_PROFILING_ENDPOINT="${endpoint}" is not an http(s) URL; profiles are not sent to a Pyroscope server`);
      endpoint = undefined;
    }
  }
  return {
    enabled: p?.enabled ?? (switchValue === 'on' || switchValue === 'true'),
    endpoint,
    otlpExport: p?.otlpExport ?? r.boolean('SIGHTLINE_PROFILING_OTLP', true),
    exportIntervalMillis: p?.exportIntervalMillis ?? r.integer('SIGHTLINE_PROFILING_EXPORT_INTERVAL', 30_000, 1000, 600_000),
    // Hz in the variable, as profilers are usually set; the sampler takes microseconds between samples.
    samplingIntervalMicros: p?.samplingIntervalMicros ?? Math.round(1_000_000 / r.integer('SIGHTLINE_PROFILING_SAMPLE_RATE', 100, 1, 1000)),
  };
}

/** SIGHTLINE_TAIL_*: in-process tail sampling, off unless asked for. */
function tailSamplingConfig(r: EnvReader, t: Partial<TailSamplingSettings> | undefined): TailSamplingSettings {
  const switchValue = r.oneOf('SIGHTLINE_TAIL_SAMPLING', ['on', 'off', 'true', 'false'] as const, 'off');
  return {
    enabled: t?.enabled ?? (switchValue === 'on' || switchValue === 'true'),
    latencyMillis: t?.latencyMillis ?? r.integer('SIGHTLINE_TAIL_LATENCY_MS', 1000, 0),
    graceMillis: t?.graceMillis ?? r.integer('SIGHTLINE_TAIL_GRACE_MS', 1000, 0, 60_000),
    maxTraces: t?.maxTraces ?? r.integer('SIGHTLINE_TAIL_MAX_TRACES', 5000, 1),
    maxSpans: t?.maxSpans ?? r.integer('SIGHTLINE_TAIL_MAX_SPANS', 20_000, 1),
    maxKeptPerSecond: t?.maxKeptPerSecond ?? r.integer('SIGHTLINE_TAIL_MAX_KEPT_PER_SECOND', 100, 1),
    attributes: t?.attributes ?? Object.entries(r.keyValues('SIGHTLINE_TAIL_ATTRIBUTES') ?? {}),
  };
}
