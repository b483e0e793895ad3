// The Prometheus pull endpoint (OTEL_METRICS_EXPORTER=prometheus): GET /metrics on
// OTEL_EXPORTER_PROMETHEUS_HOST:PORT collects on each scrape, cumulatively, in the text format or in
// OpenMetrics when the scraper's Accept header asks for it. Its own requests are not traced.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../../builtins/http.js';
import { markInternalServer } from '../../context/suppress-tracing.js';
import { log } from '../../diag/logger.js';
import type { ReaderState, SightlineMeterProvider } from '../meter-provider.js';
import { readerState } from '../readers/reader-state.js';
import type { PrometheusSettings } from '../settings.js';
import type { ResourceMetrics } from '../types.js';
import { formatExposition, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './exposition.js';

/** Answers a scrape from whatever `collect` returns: the SDK's own metrics, or (in `sightline run`'s primary) the workers' sum. */
export function scrapeHandler(
  collect: () => Promise<ResourceMetrics>,
  onSkipped: (skipped: string[]) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics' && path !== '/') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`nothing at ${path}; metrics are at /metrics\n`);
      return;
    }
    const openMetrics = /application\/openmetrics-text/i.test(request.headers.accept ?? '');
    collect().then(
      (metrics) => {
        const { text, skipped } = formatExposition(metrics, openMetrics);
        if (skipped.length > 0) onSkipped(skipped);
        response.writeHead(200, { 'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`could not collect metrics: ${(error as Error).message}\n`);
      },
    );
  };
}

/** Says once per distinct set which metrics a scrape left out, and why. */
export function reportSkippedTo(write: (line: string) => void): (skipped: string[]) => void {
  const said = new Set<string>();
  return (skipped) => {
    const key = skipped.join('; ');
    if (said.has(key)) return;
    said.add(key);
    write(`the Prometheus endpoint leaves out ${key}`);
  };
}

export class PrometheusEndpoint {
  private readonly state: ReaderState = readerState('cumulative');
  private server: Server | undefined;

  constructor(
    private readonly provider: SightlineMeterProvider,
    private readonly settings: PrometheusSettings,
    private readonly timeoutMillis: number,
  ) {}

  /** `portOffset`: a PM2 cluster worker serves on port + its instance number, since PM2 has no process to sum in. */
  start(portOffset = 0): void {
    const server = http.createServer(
      scrapeHandler(
        () => this.provider.collect(this.state, this.timeoutMillis),
        reportSkippedTo((line) => log.warn(line)),
      ),
    );
    markInternalServer(server);
    const port = this.settings.port === 0 ? 0 : this.settings.port + portOffset;
    server.on('error', (error: NodeJS.ErrnoException) => {
      log.warn(
        `could not serve Prometheus metrics on ${this.settings.host}:${port} (${error.code ?? error.message}); metrics are not scraped from this process. ` +
          (error.code === 'EADDRINUSE'
            ? 'Another process (or another worker of a cluster) has the port: run the app with `sightline run` for one endpoint for all workers, or set OTEL_EXPORTER_PROMETHEUS_PORT'
            : 'Check OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT'),
      );
    });
    // exclusive: a cluster worker binds the port itself instead of sharing it with its siblings, so
    // that scrapes never land on a random worker (OpenTelemetry JS's #1252).
    server.listen({ host: this.settings.host, port, exclusive: true }, () => {
      const address = server.address();
      log.debug(
        `Prometheus metrics on http://${this.settings.host}:${typeof address === 'object' && address ? address.port : port}/metrics`,
      );
    });
    server.unref();
    this.server = server;
  }

  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }
}
