// Wires configuration, resource, sampler, tracer provider, queue and exporter together, and registers
// them as the @opentelemetry/api globals so that any code using the API records into Sightline.
import { context, diag, isSpanContextValid, metrics, propagation, trace, type Meter } from '@opentelemetry/api';
import { logs, type Logger } from '@opentelemetry/api-logs';
import type { Config, ExportThread } from '../config/config.js';
import type { Signal } from '../export/export-counters.js';
import type { OtlpConfig } from '../export/otlp-config.js';
import { AsyncLocalStorageContextManager } from '../context/async-local-storage-context-manager.js';
import { log, toDiagLogLevel } from '../diag/logger.js';
import { SpanBatchQueue } from '../export/batch-queue.js';
import { ConsoleSpanExporter } from '../export/console-exporter.js';
import { ExportWorker } from '../export/export-worker.js';
import type { ExportChannel } from '../export/export-channel.js';
import { InProcessExport } from '../export/in-process-export.js';
import { OtlpSpanQueue, type SpanQueue } from '../export/otlp-span-queue.js';
import { StatsRecorder, type ExportStats } from '../export/stats.js';
import { enableInstrumentations } from '../instrumentation/index.js';
import { propagatorFromConfig } from '../propagation/composite.js';
import { contextFromEnv } from '../propagation/env-carrier.js';
import { SDK_VERSION } from '../version.js';
import { buildResource } from '../resource/resource.js';
import { samplerFromConfig } from '../trace/sampler.js';
import type { SpanSink } from '../trace/span.js';
import { SightlineTracerProvider } from '../trace/tracer-provider.js';
import { NO_TAIL_STATS, TailSampler, type TailSamplingStats } from '../trace/tail-sampler.js';
import { LogsPipeline, NO_LOG_STATS, type LogStats } from './logs-pipeline.js';
import { ProfiledSpanSink, Profiler, type ProfilingStats } from '../profiling/profiler.js';
import { MetricsPipeline } from './metrics-pipeline.js';

export type SightlineStats = ExportStats & LogStats & TailSamplingStats & ProfilingStats;

/**
 * Which thread delivers OTLP. `auto` is the app's own event loop when every signal goes to a plain
 * `http:` endpoint over OTLP/HTTP, and the export worker otherwise. Measured side by side on Node 24
 * (bench/README.md, 2026-12-04): in `hello` at 100% the main thread cost 33.35 and 32.31 µs per request
 * against the worker's 35.55 and 37.70 (bench:cpu, two runs; equal at 10%), in `realistic` the same
 * (317 against 319 µs at 100%, 286 against 293 at 10%), and peak RSS after 5 minutes of `hello` at
 * 100% read 181 against 192 MB (bench:memory; equal at 10% after a minute; idle, 14–20 MB less). What
 * the worker thread did is small and asynchronous there: non-blocking sockets through a raw HTTP/1.1
 * client that leaves the app's HTTP code alone (http1-client.ts), gzip on libuv's thread pool. An
 * `https:` endpoint would put TLS encryption, and Node's HTTP client with it, on the app's thread, and
 * gRPC's HTTP/2 session was not measured there: those keep the worker.
 */
export function exportThreadFor(setting: ExportThread, signals: Partial<Record<Signal, OtlpConfig>>): 'main' | 'worker' {
  if (setting !== 'auto') return setting;
  for (const config of Object.values(signals)) {
    if (config === undefined || config.protocol === 'grpc' || !/^http:/i.test(config.url)) return 'worker';
  }
  return 'main';
}

const NO_PROFILING_STATS: ProfilingStats = { profilesExported: 0, profilesFailed: 0, profileSpansUnlabelled: 0 };

export class Sightline {
  readonly contextManager = new AsyncLocalStorageContextManager();
  readonly tracerProvider: SightlineTracerProvider;
  readonly resource;
  private readonly recorder: StatsRecorder;
  private readonly queue: SpanQueue | undefined;
  /** Set when SIGHTLINE_TAIL_SAMPLING is on (and spans are exported). */
  private readonly tail: TailSampler | undefined;
  /** Where encoded batches go, shared by every signal exported over OTLP (SIGHTLINE_EXPORT_THREAD). */
  private readonly worker: ExportChannel | undefined;
  /** Undefined when OTEL_METRICS_EXPORTER is none: the API's meters stay no-ops and cost nothing. */
  readonly metrics: MetricsPipeline | undefined;
  /** Undefined when OTEL_LOGS_EXPORTER is none: the bridges only stamp trace ids. */
  readonly logs: LogsPipeline | undefined;
  /** Set when SIGHTLINE_PROFILING is on. */
  private readonly profiler: Profiler | undefined;
  private disableInstrumentations: () => void = () => {};
  private state: 'running' | 'shutting down' | 'shut down' = 'running';
  private shutdownPromise: Promise<void> | undefined;
  /** Set when the process starts to end: every exit-time flush shares this one deadline. */
  private exitDeadline: number | undefined;

  constructor(readonly config: Config) {
    this.resource = buildResource(config);
    this.recorder = new StatsRecorder({ maxQueueSize: config.batch.maxQueueSize, maxQueueBytes: config.exportQueue.maxQueueBytes });
    const tracesOverOtlp = config.exporter === 'otlp';
    const metricsOverOtlp = config.metrics.exporters.includes('otlp');
    const logsOverOtlp = config.logRecords.exporter === 'otlp';
    // OTLP profiles go where traces go, unless SIGHTLINE_PROFILING_OTLP turns them off.
    const profilesOverOtlp = config.profiling.enabled && config.profiling.otlpExport && tracesOverOtlp;
    if (tracesOverOtlp || metricsOverOtlp || logsOverOtlp) {
      const signals = {
        ...(tracesOverOtlp ? { traces: config.otlp } : {}),
        ...(metricsOverOtlp ? { metrics: config.metrics.otlp } : {}),
        ...(logsOverOtlp ? { logs: config.logRecords.otlp } : {}),
        ...(profilesOverOtlp ? { profiles: config.profiling.otlp } : {}),
      };
      const onError = (signal: Signal, reason: string): void =>
        signal === 'metrics'
          ? this.metrics?.exportError(reason)
          : signal === 'logs'
            ? this.logs?.exportError(reason)
            : signal === 'profiles'
              ? this.profiler?.exportError(reason)
              : this.recorder.exportError(reason);
      const settings = { signals, queue: config.exportQueue, logLevel: config.logLevel };
      this.worker =
        exportThreadFor(config.exportThread, signals) === 'worker'
          ? new ExportWorker(settings, onError)
          : new InProcessExport(settings, onError);
      if (tracesOverOtlp) this.recorder.attach(this.worker);
    }
    this.metrics =
      config.metrics.exporters.length === 0 ? undefined : new MetricsPipeline(config.metrics, this.resource, this.worker, config.runWorker);
    this.logs =
      config.logRecords.exporter === 'none'
        ? undefined
        : new LogsPipeline(config.logRecords, this.resource, this.worker, config.exportQueue.maxQueueBytes);
    this.queue = this.createQueue();
    this.tail = config.tailSampling.enabled && this.queue !== undefined ? new TailSampler(config.tailSampling, this.queue) : undefined;
    let sink: SpanSink = this.tail ?? this.queue ?? { onEnd() {} };
    if (config.profiling.enabled) {
      const worker = profilesOverOtlp ? this.worker : undefined;
      this.profiler = new Profiler(
        config.profiling,
        this.resource,
        worker && ((body, profiles) => worker.send('profiles', body, profiles)),
      );
      sink = new ProfiledSpanSink(sink, this.profiler);
    }
    this.tracerProvider = new SightlineTracerProvider(samplerFromConfig(config.sampler), config.spanLimits, sink, this.tail !== undefined);
  }

  private createQueue(): SpanQueue | undefined {
    const { config } = this;
    switch (config.exporter) {
      case 'none':
        return undefined;
      case 'console':
        return new SpanBatchQueue(config.batch, new ConsoleSpanExporter(), this.recorder);
      case 'otlp':
        if (this.worker === undefined) return undefined;
        // Always protobuf here: the export worker transcodes to JSON for http/json, off the main thread.
        return new OtlpSpanQueue(config.batch, this.resource, this.worker, this.recorder);
    }
  }

  register(): void {
    diag.setLogger(log, { logLevel: toDiagLogLevel(this.config.logLevel), suppressOverrideMessage: true });
    context.setGlobalContextManager(this.contextManager);
    trace.setGlobalTracerProvider(this.tracerProvider);
    propagation.setGlobalPropagator(propagatorFromConfig(this.config.propagators));
    if (this.metrics !== undefined) {
      metrics.setGlobalMeterProvider(this.metrics.provider);
      this.metrics.start(() => this.getStats());
    }
    const loggerProvider = this.logs?.provider;
    if (loggerProvider !== undefined) logs.setGlobalLoggerProvider(loggerProvider);
    this.continueInheritedContext();
    if (this.profiler?.start() === true) this.contextManager.setEnterHook(this.profiler.onEnter);
    const { http, messaging } = this.config;
    const meterProvider = this.metrics?.provider;
    this.disableInstrumentations = enableInstrumentations(
      this.config.instrumentations,
      { http, messaging, logs: this.config.logs },
      (scope) => this.tracerProvider.getTracer(scope, SDK_VERSION),
      (scope): Meter | undefined => meterProvider?.getMeter(scope, SDK_VERSION),
      (scope): Logger | undefined => loggerProvider?.getLogger(scope, SDK_VERSION),
      (ctx) => this.contextManager.enterWith(ctx),
    );
    log.debug(
      `started: exporter ${this.config.exporter}${this.config.exporter === 'otlp' ? ` (${this.config.otlp.protocol} to ${this.config.otlp.url})` : ''}, sampler ${samplerFromConfig(this.config.sampler).toString()}`,
    );
  }

  /**
   * A process started with TRACEPARENT (a child forked inside a span, a CI step) continues that trace:
   * what it does outside spans of its own happens inside the parent's span. Incoming requests still
   * start from their own headers.
   */
  private continueInheritedContext(): void {
    if (this.config.inheritedContext.TRACEPARENT === undefined) return;
    const inherited = contextFromEnv(this.config.inheritedContext);
    const parent = trace.getSpanContext(inherited);
    if (parent === undefined || !isSpanContextValid(parent)) {
      log.warn(
        `TRACEPARENT="${this.config.inheritedContext.TRACEPARENT}" is not a valid W3C traceparent (or OTEL_PROPAGATORS leaves out tracecontext); this process starts its own traces`,
      );
      return;
    }
    this.contextManager.setBaseContext(inherited);
    log.debug(`continuing trace ${parent.traceId} from span ${parent.spanId}, passed in TRACEPARENT`);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Milliseconds left of SIGHTLINE_SHUTDOWN_TIMEOUT since the process began to end. */
  exitBudget(): number {
    this.exitDeadline ??= Date.now() + this.config.shutdownTimeoutMillis;
    return Math.max(0, this.exitDeadline - Date.now());
  }

  hasUnflushed(): boolean {
    return (
      this.state === 'running' &&
      ((this.queue !== undefined && this.queue.unflushed) || this.logs?.unflushed === true || (this.tail?.pending ?? 0) > 0)
    );
  }

  async forceFlush(timeoutMillis = this.config.shutdownTimeoutMillis): Promise<boolean> {
    if (this.state === 'shut down') return true;
    await this.metrics?.collectNow();
    await this.profiler?.exportNow();
    this.tail?.flush();
    this.queue?.drainForFlush();
    this.logs?.drainForFlush();
    if (this.worker === undefined) return true;
    const complete = await this.worker.flush(timeoutMillis);
    if (!complete) log.warn(`forceFlush did not finish within ${timeoutMillis} ms; spans still waiting for the collector remain queued`);
    return complete;
  }

  /**
   * For process exit, where nothing asynchronous runs any more: blocks until exported or the timeout,
   * then closes the books, so what is still unsent is counted as abandoned and reported.
   */
  flushSync(timeoutMillis = this.config.shutdownTimeoutMillis): boolean {
    if (this.state === 'shut down') return true;
    this.metrics?.collectSync();
    this.profiler?.stopSync();
    this.tail?.close();
    this.queue?.close();
    this.logs?.close();
    let complete = true;
    if (this.worker !== undefined) {
      complete = this.worker.flushSync(timeoutMillis);
      this.worker.closeBooks();
    }
    this.state = 'shut down';
    this.recorder.report();
    this.logs?.report();
    return complete;
  }

  shutdown(timeoutMillis = this.config.shutdownTimeoutMillis): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.state = 'shutting down';
      this.disableInstrumentations();
      this.contextManager.setEnterHook(undefined);
      await this.profiler?.shutdown();
      this.tail?.close();
      this.queue?.close();
      this.logs?.close();
      await this.metrics?.shutdown();
      if (this.worker !== undefined) {
        const started = Date.now();
        const complete = await this.worker.shutdown(timeoutMillis);
        // Before the deadline, export gave up because nothing listened at the collector's address, and
        // said so for that signal: a deadline named here would send the reader after the wrong cause.
        if (!complete && Date.now() - started >= timeoutMillis)
          log.warn(
            `shutdown did not deliver all telemetry within ${timeoutMillis} ms (SIGHTLINE_SHUTDOWN_TIMEOUT); the rest is counted as abandoned`,
          );
      }
      this.recorder.report();
      this.logs?.report();
      this.state = 'shut down';
    })();
    return this.shutdownPromise;
  }

  getStats(): SightlineStats {
    return {
      ...this.recorder.snapshot(this.queue?.length ?? 0),
      ...(this.logs?.snapshot() ?? NO_LOG_STATS),
      ...(this.tail?.stats ?? NO_TAIL_STATS),
      ...(this.profiler?.stats ?? NO_PROFILING_STATS),
    };
  }
}
