// The metrics side of a running Sightline: the meter provider, and the readers OTEL_METRICS_EXPORTER
// asks for (OTLP push through the shared export worker, console, Prometheus pull, or in a
// `sightline run` worker the primary's pull over IPC), plus the runtime, process, system and
// self-health instruments. Flushed with the traces on forceFlush(), shutdown() and at exit.
import { log } from '../diag/logger.js';
import type { ExportChannel } from '../export/export-channel.js';
import { countPoints, OtlpMetricsEncoder } from '../export/otlp-metrics.js';
import type { ExportStats } from '../export/stats.js';
import { SightlineMeterProvider } from '../metrics/meter-provider.js';
import { PrometheusEndpoint } from '../metrics/prometheus/endpoint.js';
import { consoleMetricExporter } from '../metrics/readers/console-exporter.js';
import { PeriodicReader } from '../metrics/readers/periodic-reader.js';
import { PrimaryReader } from '../metrics/readers/primary-reader.js';
import { startNodeRuntimeMetrics } from '../metrics/runtime/nodejs.js';
import { startProcessMetrics } from '../metrics/runtime/process.js';
import { startSystemMetrics } from '../metrics/runtime/system.js';
import type { MetricsSettings } from '../metrics/settings.js';
import type { Attributes } from '@opentelemetry/api';
import { SDK_VERSION } from '../version.js';
import type { RunWorkerSettings } from './run-worker.js';
import { startSelfMetrics } from './self-metrics.js';

const ERROR_REPORT_INTERVAL_MILLIS = 60_000;

export class MetricsPipeline {
  readonly provider: SightlineMeterProvider;
  private readonly periodic: PeriodicReader[] = [];
  private endpoint: PrometheusEndpoint | undefined;
  private primary: PrimaryReader | undefined;
  private stopRuntime: () => void = () => {};
  private lastErrorReport = 0;

  constructor(
    private readonly settings: MetricsSettings,
    resource: Attributes,
    private readonly worker: ExportChannel | undefined,
    private readonly runWorker: RunWorkerSettings | undefined,
  ) {
    this.provider = new SightlineMeterProvider(resource, settings.sdk);
  }

  start(stats: () => ExportStats): void {
    const { settings } = this;
    const push = { intervalMillis: settings.intervalMillis, timeoutMillis: settings.timeoutMillis, temporality: settings.temporality };
    if (settings.exporters.includes('otlp') && this.worker !== undefined) {
      const worker = this.worker;
      const encoder = new OtlpMetricsEncoder(this.provider.resource);
      this.periodic.push(
        new PeriodicReader(this.provider, push, (metrics) => {
          const points = countPoints(metrics.metrics);
          if (!worker.send('metrics', encoder.encode(metrics.metrics), points))
            this.exportError(`${points} metric points could not be handed to export`);
        }),
      );
    }
    if (settings.exporters.includes('console')) this.periodic.push(new PeriodicReader(this.provider, push, consoleMetricExporter));
    if (settings.exporters.includes('prometheus')) {
      if (this.runWorker?.reportsToPrimary) {
        this.primary = new PrimaryReader(this.provider, settings.timeoutMillis, this.runWorker.index);
        this.primary.start();
      } else {
        this.endpoint = new PrometheusEndpoint(this.provider, settings.prometheus, settings.timeoutMillis);
        // Under PM2 there is no process that could sum the workers: each serves port + its instance number.
        const offset = this.runWorker?.index ?? 0;
        if (offset > 0) log.info(`PM2 instance ${offset}: Prometheus metrics on port ${settings.prometheus.port + offset}`);
        this.endpoint.start(offset);
      }
    }
    for (const reader of this.periodic) reader.start();

    const meter = this.provider.getMeter('@sightline/runtime', SDK_VERSION);
    try {
      this.stopRuntime = startNodeRuntimeMetrics(meter, { gcDuration: this.settings.gcDuration });
      startProcessMetrics(meter);
      startSystemMetrics(meter);
      startSelfMetrics(this.provider.getMeter('@sightline/sdk', SDK_VERSION), stats);
    } catch (error) {
      log.warn('could not start the runtime metrics; the others are unaffected:', error);
    }
  }

  /** A failed metrics export (from the export worker or here), reported at most once a minute. */
  exportError(reason: string): void {
    const now = Date.now();
    if (now - this.lastErrorReport < ERROR_REPORT_INTERVAL_MILLIS) return;
    this.lastErrorReport = now;
    log.warn(`metrics export failed (reported at most once a minute): ${reason}`);
  }

  /** Collects and hands over now (before the export worker's flush). */
  async collectNow(): Promise<void> {
    await Promise.all(this.periodic.map((reader) => reader.collect()));
  }

  /** At exit: the last collection, synchronously, before the export worker's final flush. */
  collectSync(): void {
    for (const reader of this.periodic) {
      reader.collectSync();
      reader.stop();
    }
    this.primary?.sendFinal();
    this.stop();
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.periodic.map((reader) => reader.shutdown()));
    this.primary?.sendFinal();
    this.stop();
  }

  private stop(): void {
    this.endpoint?.close();
    this.stopRuntime();
    this.stopRuntime = () => {};
  }

  /** The Prometheus endpoint's port, once it listens (tests use port 0). */
  get prometheusPort(): number | undefined {
    return this.endpoint?.port;
  }
}
