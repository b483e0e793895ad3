// Push: collects every OTEL_METRIC_EXPORT_INTERVAL and hands the result to an exporter (OTLP through
// the export worker, or the console). The timer never keeps the process alive; the last collection
// happens at shutdown, or synchronously at exit, so the final interval's measurements are not lost.
import { log } from '../../diag/logger.js';
import type { ReaderState, SightlineMeterProvider } from '../meter-provider.js';
import type { TemporalityPreference } from '../temporality.js';
import type { ResourceMetrics } from '../types.js';
import { readerState } from './reader-state.js';

export type MetricExporter = (metrics: ResourceMetrics) => void;

export class PeriodicReader {
  private readonly state: ReaderState;
  private timer: NodeJS.Timeout | undefined;
  private collecting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly provider: SightlineMeterProvider,
    private readonly settings: { intervalMillis: number; timeoutMillis: number; temporality: TemporalityPreference },
    private readonly exporter: MetricExporter,
  ) {
    this.state = readerState(settings.temporality);
  }

  start(): void {
    this.timer = setInterval(() => void this.collect(), this.settings.intervalMillis);
    this.timer.unref();
  }

  /** Collects now and exports; a collection already under way is waited for instead of doubled. */
  collect(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.collecting ??= (async () => {
      try {
        const metrics = await this.provider.collect(this.state, this.settings.timeoutMillis);
        if (metrics.metrics.length > 0) this.exporter(metrics);
      } catch (error) {
        log.warnOnce('metrics-collect', `could not collect metrics: ${(error as Error).message}`);
      } finally {
        this.collecting = undefined;
      }
    })();
    return this.collecting;
  }

  /** At exit, where nothing asynchronous runs any more: the last collection, synchronously. */
  collectSync(): void {
    if (this.stopped) return;
    try {
      const metrics = this.provider.collectSync(this.state);
      if (metrics.metrics.length > 0) this.exporter(metrics);
    } catch (error) {
      log.warnOnce('metrics-collect', `could not collect metrics: ${(error as Error).message}`);
    }
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.collect();
    this.stopped = true;
  }

  /** For the exit path: no further collections after the synchronous one. */
  stop(): void {
    clearInterval(this.timer);
    this.stopped = true;
  }
}
