// Metrics over OTLP, decoded by a receiver built on the official opentelemetry-proto schema: the
// app's own instruments and the automatic ones arrive with their units, bucket boundaries,
// temporality and exemplars; the last collection is delivered at process.exit(); delta temporality
// and http/json work; rates do not depend on the trace sampler.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { FIXTURES, hit, startApp } from './support/child-app.js';
import { POSTGRES_URL, REDIS_URL, requireService } from './support/services.js';
import { latest, startMetricsReceiver, type ReceivedMetric } from './support/otlp-metrics-receiver.js';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const total = (metric: ReceivedMetric | undefined): number => (metric?.points ?? []).reduce((sum, p) => sum + p.value, 0);

async function exitApp(port: number): Promise<void> {
  await fetch(`http://127.0.0.1:${port}/exit`, { method: 'POST' })
    .then((r) => r.text())
    .catch(() => {});
}

describe('metrics over OTLP', () => {
  it('delivers the app’s instruments and the automatic ones, with units, boundaries and exemplars, at process.exit()', async (t) => {
    const receiver = await startMetricsReceiver();
    t.after(() => receiver.close());
    const app = await startApp('metrics-app.mjs', {
      OTEL_SERVICE_NAME: 'orders',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      // Nothing is pushed before the exit: what arrives is the last collection.
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
      // Off by default on Node 22 and 24 (its cost there: metrics/runtime/nodejs.ts).
      SIGHTLINE_METRICS_GC_DURATION: 'true',
    });
    t.after(() => app.child.kill('SIGKILL'));
    for (let id = 1; id <= 30; id++) await hit(app.port, `/orders/${id}`, 1, 1);
    await exitApp(app.port);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    await receiver.waitFor((m) => m.some((x) => x.name === 'orders.placed'));

    const placed = latest(receiver.metrics, 'orders.placed')!;
    assert.equal(placed.type, 'sum');
    assert.equal(placed.monotonic, true);
    assert.equal(placed.temporality, 2, 'cumulative by default');
    assert.equal(placed.unit, '{order}');
    assert.equal(placed.description, 'Orders placed');
    assert.equal(placed.scope, 'orders-app');
    assert.deepEqual(Object.fromEntries(placed.points.map((p) => [p.attributes.region, p.value])), { eu: 15, us: 15 });

    const size = latest(receiver.metrics, 'orders.size')!;
    assert.equal(size.type, 'histogram');
    assert.deepEqual(size.points[0]!.explicitBounds, [10, 100, 1000]);
    // 7, 14, …, 210: one at or under 10, thirteen in (10, 100], sixteen in (100, 1000].
    assert.deepEqual(size.points[0]!.bucketCounts, [1, 13, 16, 0]);
    assert.equal(size.points[0]!.min, 7);
    assert.equal(size.points[0]!.max, 210);

    const depth = latest(receiver.metrics, 'queue.depth')!;
    assert.equal(depth.type, 'gauge');
    assert.deepEqual(
      depth.points.map((p) => [p.attributes.queue, p.value]),
      [['mail', 30]],
    );

    const duration = latest(receiver.metrics, 'http.server.request.duration')!;
    assert.equal(duration.type, 'histogram');
    assert.equal(duration.unit, 's');
    assert.equal(duration.scope, '@sightline/instrumentation-http');
    // The GETs only: the POST /exit that ended the app is counted too, on the Node lines that finish its response before the exit.
    const orders = duration.points.filter(
      (p) => p.attributes['http.response.status_code'] === 200 && p.attributes['http.request.method'] === 'GET',
    );
    assert.equal(total({ ...duration, points: orders }), 30);
    for (const p of orders) {
      assert.deepEqual(p.explicitBounds, HTTP_BUCKETS);
      assert.deepEqual(Object.keys(p.attributes).sort(), [
        'http.request.method',
        'http.response.status_code',
        'network.protocol.version',
        'url.scheme',
      ]);
    }
    // Exemplars name real sampled requests: their span ids are among the SERVER spans received.
    const exemplars = orders.flatMap((p) => p.exemplars);
    assert.ok(exemplars.length > 0, 'exemplars on the duration histogram');
    await new Promise((r) => setTimeout(r, 200));
    const serverSpans = new Set(receiver.spans.filter((s) => s.kind === 2).map((s) => s.spanId));
    for (const e of exemplars) {
      assert.match(e.traceId, /^[0-9a-f]{32}$/);
      assert.ok(serverSpans.has(e.spanId), `exemplar span ${e.spanId} is a received SERVER span`);
    }
    // The duration metric and the server span read one clock at each end: their totals agree to the
    // nanosecond rounding of the span's timestamps.
    const orderSpans = receiver.spans.filter((s) => s.kind === 2 && /^\/orders\/\d+$/.test(String(s.attributes['url.path'])));
    assert.equal(orderSpans.length, 30);
    const spanSeconds = orderSpans.reduce((sum, s) => sum + Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9, 0);
    const metricSeconds = orders.reduce((sum, p) => sum + p.sum!, 0);
    assert.ok(Math.abs(spanSeconds - metricSeconds) < 30 * 2e-9, `span durations ${spanSeconds} s, metric ${metricSeconds} s`);

    for (const name of [
      'nodejs.eventloop.utilization',
      'v8js.memory.heap.used',
      'process.cpu.time',
      'process.memory.usage',
      'system.memory.usage',
      'v8js.gc.duration',
    ]) {
      assert.ok(latest(receiver.metrics, name) !== undefined, `${name} is exported`);
    }
    assert.ok(latest(receiver.metrics, 'v8js.memory.heap.used')!.points.some((p) => p.attributes['v8js.heap.space.name'] === 'old_space'));
    assert.equal(placed.resource['service.name'], 'orders');
  });

  it('counts every request whatever the sampler keeps, and sends deltas over http/json when asked', async (t) => {
    const receiver = await startMetricsReceiver();
    t.after(() => receiver.close());
    const app = await startApp('metrics-app.mjs', {
      OTEL_SERVICE_NAME: 'orders',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_TRACES_SAMPLER: 'always_off',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_METRIC_EXPORT_INTERVAL: '100',
    });
    t.after(() => app.child.kill('SIGKILL'));
    for (let id = 1; id <= 20; id++) await hit(app.port, `/orders/${id}`, 1, 1);
    await receiver.waitFor((m) => total(m.findLast((x) => x.name === 'orders.placed')) > 0);
    for (let id = 21; id <= 40; id++) await hit(app.port, `/orders/${id}`, 1, 1);
    await exitApp(app.port);
    await app.exited;
    assert.ok(receiver.requests.every((r) => r.contentType.includes('json')));
    const placed = receiver.metrics.filter((m) => m.name === 'orders.placed');
    assert.ok(placed.length >= 2, `${placed.length} deltas`);
    assert.ok(placed.every((m) => m.temporality === 1));
    assert.equal(
      placed.reduce((sum, m) => sum + total(m), 0),
      40,
      'the deltas add up to every order',
    );
    const durations = receiver.metrics.filter((m) => m.name === 'http.server.request.duration');
    const requests = durations
      .flatMap((m) => m.points)
      .filter((p) => p.attributes['http.response.status_code'] === 200 && p.attributes['http.request.method'] === 'GET');
    assert.equal(
      requests.reduce((sum, p) => sum + p.value, 0),
      40,
      'every request counted with always_off sampling',
    );
    assert.ok(
      requests.every((p) => p.exemplars.length === 0),
      'no exemplars without sampled spans',
    );
    // Deltas: each interval starts where the previous one ended.
    const starts = placed.map((m) => m.points[0]!.startTimeUnixNano);
    assert.equal(new Set(starts).size, starts.length);
    // With default settings GC pauses are observed from Node 26 only.
    assert.ok(
      receiver.metrics.some((m) => m.name === 'v8js.memory.heap.used'),
      'runtime metrics are exported',
    );
    assert.equal(
      receiver.metrics.some((m) => m.name === 'v8js.gc.duration'),
      Number(process.versions.node.split('.')[0]) >= 26,
      'v8js.gc.duration by default from Node 26 only',
    );
  });

  it('records an unmodified contrib instrumentation that uses meters (@opentelemetry/instrumentation-runtime-node)', async (t) => {
    const receiver = await startMetricsReceiver();
    t.after(() => receiver.close());
    const child = spawn(process.execPath, ['--require', 'sightline/register', 'contrib-runtime-metrics.cjs'], {
      cwd: FIXTURES,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'contrib',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    await receiver.waitFor((m) => m.some((x) => x.scope === '@opentelemetry/instrumentation-runtime-node'));
    const contrib = receiver.metrics.filter((m) => m.scope === '@opentelemetry/instrumentation-runtime-node');
    const names = new Set(contrib.map((m) => m.name));
    for (const name of ['nodejs.eventloop.utilization', 'nodejs.eventloop.delay.p99', 'v8js.memory.heap.used']) {
      assert.ok(names.has(name), `${name} from the contrib instrumentation (got ${[...names].join(', ')})`);
    }
    const heap = contrib.find((m) => m.name === 'v8js.memory.heap.used')!;
    assert.ok(heap.points.some((p) => p.value > 0));
    assert.doesNotMatch(stderr, /sightline:.*(error|could not)/i);
  });

  it('times HTTP client calls, database operations and queue sends and jobs, sampled or not', async (t) => {
    if (!(await requireService(t, 'PostgreSQL', POSTGRES_URL)) || !(await requireService(t, 'Redis', REDIS_URL))) return;
    const receiver = await startMetricsReceiver();
    const queue = `sl-metrics-${randomBytes(4).toString('hex')}`;
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      // Half the traces sampled: the metrics must count everything regardless.
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
      DATABASE_URL: POSTGRES_URL,
      REDIS_URL,
      QUEUE_NAME: queue,
      PGBOSS_SCHEMA: 'sightline_test_pgboss',
    };
    const worker = await startApp('queue-worker.mjs', { ...env, OTEL_SERVICE_NAME: 'm-worker' });
    const app = await startApp('queue-app.mjs', { ...env, OTEL_SERVICE_NAME: 'm-app' });
    const web = await startApp('metrics-app.mjs', { ...env, OTEL_SERVICE_NAME: 'm-web' });
    try {
      const orders = 4;
      for (let i = 0; i < orders; i++) assert.equal((await fetch(`http://127.0.0.1:${app.port}/order`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${web.port}/outbound`)).status, 200);
      // Cumulative totals: the latest of each instrumentation scope's metric (pg, ioredis and redis each have one).
      const count = (name: string, service: string, match: (a: Record<string, unknown>) => boolean): number => {
        const latestByScope = new Map<string, ReceivedMetric>();
        for (const x of receiver.metrics) if (x.name === name && x.resource['service.name'] === service) latestByScope.set(x.scope, x);
        const points = [...latestByScope.values()].flatMap((m) => m.points);
        return points.filter((p) => match(p.attributes)).reduce((sum, p) => sum + p.value, 0);
      };
      const expect = async (what: string, name: string, service: string, match: (a: Record<string, unknown>) => boolean, n: number) => {
        await receiver
          .waitFor(() => count(name, service, match) >= n, 20_000)
          .catch(() => {
            throw new Error(`${what}: ${count(name, service, match)} of ${n} (${name} from ${service})`);
          });
        assert.equal(count(name, service, match), n, what);
      };
      // Each /order: a Client and a Pool query, an ioredis GET and a node-redis SET, a BullMQ add and a pg-boss send.
      await expect(
        'pg queries',
        'db.client.operation.duration',
        'm-app',
        (a) => a['db.system.name'] === 'postgresql' && a['db.operation.name'] === 'SELECT',
        2 * orders,
      );
      await expect(
        'Redis GETs',
        'db.client.operation.duration',
        'm-app',
        (a) => a['db.system.name'] === 'redis' && a['db.operation.name'] === 'GET',
        orders,
      );
      await expect(
        'Redis SETs',
        'db.client.operation.duration',
        'm-app',
        (a) => a['db.system.name'] === 'redis' && a['db.operation.name'] === 'SET',
        orders,
      );
      await expect(
        'BullMQ sends',
        'messaging.client.operation.duration',
        'm-app',
        (a) => a['messaging.system'] === 'bullmq' && a['messaging.destination.name'] === queue,
        orders,
      );
      // pg-boss records these itself, through the API's meters, into Sightline.
      await expect(
        'pg-boss sends',
        'messaging.client.operation.duration',
        'm-app',
        (a) => a['messaging.system'] === 'pg-boss' && a['messaging.destination.name'] === queue,
        orders,
      );
      await expect(
        'BullMQ jobs',
        'messaging.process.duration',
        'm-worker',
        (a) => a['messaging.system'] === 'bullmq' && a['messaging.operation.name'] === 'process',
        orders,
      );
      await expect('pg-boss jobs', 'messaging.process.duration', 'm-worker', (a) => a['messaging.system'] === 'pg-boss', orders);
      await expect('fetch call', 'http.client.request.duration', 'm-web', (a) => a['http.response.status_code'] === 200, 2);
      await expect('refused call', 'http.client.request.duration', 'm-web', (a) => a['error.type'] === 'ECONNREFUSED', 1);
      const client = latest(
        receiver.metrics.filter((m) => m.resource['service.name'] === 'm-web'),
        'http.client.request.duration',
      )!;
      assert.equal(client.unit, 's');
      assert.deepEqual(Object.keys(client.points.find((p) => p.attributes['http.response.status_code'] === 200)!.attributes).sort(), [
        'http.request.method',
        'http.response.status_code',
        'server.address',
        'server.port',
        'url.scheme',
      ]);
    } finally {
      for (const child of [app, web]) child.child.kill('SIGKILL');
      worker.child.kill('SIGTERM');
      await worker.exited;
      await receiver.close();
    }
  });

  it('times an unsampled request’s operations exactly as a sampled one’s, though it makes them no spans', async (t) => {
    if (!(await requireService(t, 'PostgreSQL', POSTGRES_URL)) || !(await requireService(t, 'Redis', REDIS_URL))) return;
    const receiver = await startMetricsReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      DATABASE_URL: POSTGRES_URL,
      REDIS_URL,
      QUEUE_NAME: `sl-metrics-${randomBytes(4).toString('hex')}`,
      PGBOSS_SCHEMA: 'sightline_test_pgboss',
    };
    // The same services twice: every request sampled, and none (its operations are then only timed).
    const apps = [];
    for (const [suffix, sampler] of [
      ['on', 'always_on'],
      ['off', 'always_off'],
    ] as const) {
      apps.push(await startApp('queue-app.mjs', { ...env, OTEL_TRACES_SAMPLER: sampler, OTEL_SERVICE_NAME: `queue-${suffix}` }));
      apps.push(await startApp('metrics-app.mjs', { ...env, OTEL_TRACES_SAMPLER: sampler, OTEL_SERVICE_NAME: `web-${suffix}` }));
    }
    try {
      const orders = 2;
      for (const app of apps.filter((_, i) => i % 2 === 0))
        for (let i = 0; i < orders; i++) assert.equal((await fetch(`http://127.0.0.1:${app.port}/order`)).status, 200);
      for (const app of apps.filter((_, i) => i % 2 === 1))
        assert.equal((await fetch(`http://127.0.0.1:${app.port}/outbound`)).status, 200);
      // Per attribute set, the latest cumulative count of each scope's points: what a backend would show.
      const series = (name: string, service: string): Map<string, number> => {
        const latestByScope = new Map<string, ReceivedMetric>();
        for (const m of receiver.metrics) if (m.name === name && m.resource['service.name'] === service) latestByScope.set(m.scope, m);
        const counts = new Map<string, number>();
        for (const m of latestByScope.values())
          for (const p of m.points) {
            // Each web app calls its own port: a port is compared by its type only.
            const entries = Object.entries(p.attributes).map(([k, v]) =>
              k === 'server.port' && service.startsWith('web') ? [k, typeof v] : [k, v],
            );
            const key = JSON.stringify(entries.sort(([a], [b]) => String(a).localeCompare(String(b))));
            counts.set(key, (counts.get(key) ?? 0) + p.value);
          }
        return counts;
      };
      const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);
      for (const [name, service, expected] of [
        // Per order: a Client and a Pool query, a GET on ioredis and a SET on node-redis, and a pg-boss send's own queries.
        ['db.client.operation.duration', 'queue', 4 * orders],
        // /outbound: fetch and node:http to this server, and a refused fetch.
        ['http.client.request.duration', 'web', 3],
      ] as const) {
        await receiver
          .waitFor(() => total(series(name, `${service}-off`)) >= expected && total(series(name, `${service}-on`)) >= expected, 20_000)
          .catch(() => {
            throw new Error(
              `${name}: ${total(series(name, `${service}-on`))} sampled, ${total(series(name, `${service}-off`))} unsampled, of ${expected}`,
            );
          });
        // One more collection, so that both are final.
        await new Promise((resolve) => setTimeout(resolve, 600));
        assert.deepEqual(
          [...series(name, `${service}-off`)].sort(),
          [...series(name, `${service}-on`)].sort(),
          `${name}: the same series with the same counts, sampled or not`,
        );
      }
    } finally {
      for (const app of apps) app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
