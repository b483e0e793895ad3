// A real Prometheus server scrapes a traced app and a `sightline run --workers 2` app every second:
// the request counts PromQL returns are exactly what the load generator sent, before and after a
// rolling restart (with no counter reset), the p99 from histogram_quantile() is within what the
// client measured, exemplars reach Prometheus, and promtool accepts both expositions.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { FIXTURES, freePort } from './support/child-app.js';
import { requireBinary, startPrometheus } from './support/prometheus.js';
import { startRun } from './support/sightline-run.js';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `count` requests, `concurrency` at a time, each on a fresh connection; returns the latencies in seconds. */
async function load(port: number, count: number, concurrency = 8): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const id = next++;
        const started = performance.now();
        const response = await fetch(`http://127.0.0.1:${port}/items/${id}`, { headers: { connection: 'close' } });
        await response.text();
        assert.equal(response.status, 200);
        latencies.push((performance.now() - started) / 1000);
      }
    }),
  );
  return latencies;
}

/** The upper bound of the HTTP bucket holding `seconds`. */
function bucketBound(seconds: number): number {
  return HTTP_BUCKETS.find((b) => seconds <= b) ?? Infinity;
}

const p99 = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1]!;

const COUNT = (job: string): string => `sum(http_server_request_duration_seconds_count{job="${job}",http_route="/items/:id"})`;

describe('Prometheus', () => {
  it('scrapes a traced app and a sightline run app: exact counts across a rolling restart, p99 within the client’s, exemplars, promtool', async (t) => {
    if (!requireBinary(t, 'prometheus') || !requireBinary(t, 'promtool')) return;
    const [singlePort, singleMetrics, runPort, runMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const metricsEnv = { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_TRACES_EXPORTER: 'none', OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' };
    const single = spawn(process.execPath, ['--require', 'sightline/register', 'run-fastify.cjs'], {
      cwd: FIXTURES,
      env: {
        PATH: process.env.PATH ?? '',
        ...metricsEnv,
        OTEL_SERVICE_NAME: 'single',
        PORT: String(singlePort),
        OTEL_EXPORTER_PROMETHEUS_PORT: String(singleMetrics),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Kept for the failure message: what the app said if a target never comes up.
    let singleOutput = '';
    single.stdout.on('data', (d: Buffer) => (singleOutput += d));
    single.stderr.on('data', (d: Buffer) => (singleOutput += d));
    const run = startRun(['--workers', '2', 'run-fastify.cjs'], {
      ...metricsEnv,
      OTEL_SERVICE_NAME: 'clustered',
      PORT: String(runPort),
      OTEL_EXPORTER_PROMETHEUS_PORT: String(runMetrics),
    });
    const prometheus = await startPrometheus({ single: `127.0.0.1:${singleMetrics}`, run: `127.0.0.1:${runMetrics}` });
    try {
      await run.until(/listening on/, 2);
      await prometheus
        .waitFor('sum(up)', (v) => v === 2)
        .catch(async (error: Error) => {
          const up = `up: single ${await prometheus.query('up{job="single"}')}, run ${await prometheus.query('up{job="run"}')}`;
          throw new Error(`${up}; the single app (exit code ${single.exitCode}) printed:\n${singleOutput}\n${error.message}`);
        });
      // One request first, scraped before the load, so that the load is an increase rate() can see.
      await load(singlePort, 1);
      await load(runPort, 1);
      await prometheus.waitFor(COUNT('single'), (v) => v === 1);
      await prometheus.waitFor(COUNT('run'), (v) => v === 1);

      const singleLatencies = await load(singlePort, 300);
      const runLatencies = await load(runPort, 300);
      await prometheus.waitFor(COUNT('single'), (v) => v === 301);
      await prometheus.waitFor(COUNT('run'), (v) => v === 301);

      // Both workers served and are summed into the one scrape.
      const perWorker = await prometheus.query('count(nodejs_eventloop_utilization_ratio{job="run"})');
      assert.equal(perWorker, 2, 'gauges are reported per worker');

      for (const [job, latencies] of [
        ['single', singleLatencies],
        ['run', runLatencies],
      ] as const) {
        const q = await prometheus.waitFor(
          `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="${job}",http_route="/items/:id"}[1m])))`,
          (v) => v !== undefined && Number.isFinite(v),
        );
        // Server time is within client time, so the server's p99 cannot pass the bucket of the client's.
        assert.ok(q! > 0 && q! <= bucketBound(p99(latencies)), `${job}: p99 ${q} s, client p99 ${p99(latencies)} s`);
      }

      run.child.kill('SIGHUP');
      await run.until(/stopped \(/, 2);
      await run.until(/listening on/, 4);
      await load(runPort, 200);
      await prometheus.waitFor(COUNT('run'), (v) => v === 501);
      const resets = await prometheus.query(
        `sum(resets(http_server_request_duration_seconds_count{job="run",http_route="/items/:id"}[5m]))`,
      );
      assert.equal(resets, 0, 'the summed counter never went backwards across the rolling restart');
      const rate = await prometheus.query(`sum(rate(http_server_request_duration_seconds_count{job="run",http_route="/items/:id"}[5m]))`);
      assert.ok(rate! > 0, `request rate ${rate}/s`);

      const exemplars = await prometheus.exemplars('http_server_request_duration_seconds_bucket{job="single"}');
      assert.ok(exemplars.length > 0, 'exemplars stored by Prometheus');
      assert.ok(exemplars.every((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id ?? '') && /^[0-9a-f]{16}$/.test(e.labels.span_id ?? '')));

      for (const port of [singleMetrics, runMetrics]) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
      }
    } finally {
      single.kill('SIGKILL');
      run.child.kill('SIGKILL');
      await prometheus.close();
    }
  });
});
