// `sightline run` with OTEL_METRICS_EXPORTER=prometheus: the primary serves the Prometheus port, so a
// scrape sees every worker at once (never a random one, as with workers sharing the port). On each
// scrape it asks every running worker for its cumulative metrics over the cluster IPC channel, and
// answers with their sum; a worker that stops leaves its last totals behind (see merge.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import { http } from '../../builtins/http.js';
import { isWorkerMessage, type PrimaryToWorker, type WorkerToPrimary } from '../../lifecycle/run-protocol.js';
import { reportSkippedTo, scrapeHandler } from '../../metrics/prometheus/endpoint.js';
import { MetricsAggregate, type WorkerMetrics } from '../../metrics/prometheus/merge.js';
import type { ResourceMetrics } from '../../metrics/types.js';

export interface PrimaryMetricsSettings {
  host: string;
  port: number;
  /** How long a scrape waits for a worker's answer before using the last one it gave. */
  timeoutMillis: number;
}

/** The Prometheus settings the workers will read, when OTEL_METRICS_EXPORTER names prometheus. */
export function prometheusSettings(env: NodeJS.ProcessEnv, warn: (message: string) => void): PrimaryMetricsSettings | undefined {
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (!exporters.includes('prometheus')) return undefined;
  const rawPort = env.OTEL_EXPORTER_PROMETHEUS_PORT?.trim();
  let port = 9464;
  if (rawPort) {
    if (/^\d+$/.test(rawPort) && Number(rawPort) <= 65535) port = Number(rawPort);
    else warn(`OTEL_EXPORTER_PROMETHEUS_PORT="${rawPort}" is not a port number; serving metrics on 9464`);
  }
  return { host: env.OTEL_EXPORTER_PROMETHEUS_HOST?.trim() || 'localhost', port, timeoutMillis: 2000 };
}

export class PrimaryMetrics {
  private readonly aggregate = new MetricsAggregate();
  private readonly last = new Map<number, WorkerMetrics>();
  private readonly pending = new Map<number, { waiting: Set<number>; done: () => void }>();
  private nextId = 1;
  private server: Server | undefined;

  constructor(
    private readonly settings: PrimaryMetricsSettings,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    const server = http.createServer(scrapeHandler(() => this.collect(), reportSkippedTo(this.log)));
    server.on('error', (error: NodeJS.ErrnoException) =>
      this.log(
        `could not serve Prometheus metrics on ${this.settings.host}:${this.settings.port} (${error.code ?? error.message}); set OTEL_EXPORTER_PROMETHEUS_PORT`,
      ),
    );
    server.listen(this.settings.port, this.settings.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : this.settings.port;
      this.log(`Prometheus metrics of all workers on http://${this.settings.host}:${port}/metrics`);
    });
    this.server = server;
  }

  close(): void {
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (!isWorkerMessage(message) || message.sightline !== 'metrics') return;
    const metrics = message as Extract<WorkerToPrimary, { sightline: 'metrics' }>;
    this.last.set(worker.id, { workerIndex: metrics.workerIndex, metrics: metrics.metrics });
    const request = this.pending.get(metrics.id);
    if (request !== undefined) {
      request.waiting.delete(worker.id);
      if (request.waiting.size === 0) request.done();
    }
  };

  private readonly onExit = (worker: Worker): void => {
    const last = this.last.get(worker.id);
    this.last.delete(worker.id);
    if (last !== undefined) this.aggregate.retire(last.metrics);
    for (const request of this.pending.values()) {
      request.waiting.delete(worker.id);
      if (request.waiting.size === 0) request.done();
    }
  };

  /** Asks every connected worker, waits for their answers (or the timeout), and sums what it has. */
  private async collect(): Promise<ResourceMetrics> {
    const id = this.nextId++;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    await new Promise<void>((resolve) => {
      const waiting = new Set(workers.map((w) => w.id));
      const timer = setTimeout(() => done(), this.settings.timeoutMillis);
      const done = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      };
      this.pending.set(id, { waiting, done });
      const message: PrimaryToWorker = { sightline: 'collect-metrics', id };
      for (const worker of workers) {
        try {
          worker.send(message);
        } catch {
          waiting.delete(worker.id);
        }
      }
      if (waiting.size === 0) done();
    });
    return this.aggregate.merge([...this.last.values()]);
  }
}
