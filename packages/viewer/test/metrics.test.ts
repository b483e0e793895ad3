// Metrics in the viewer: OTLP metric points from any sender are stored; the RED figures per route
// (rate, errors, p50/p95/p99) come from http.server.request.duration summed over instances, through
// restarts, or from SERVER spans for a service that sends no metrics; the runtime series per
// instance; and the page in headless Chromium, where a point leads to its exemplar trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARTIFACTS, launch } from './support/browser.js';
import { getJson, hexId, otlpJson, span, testViewer } from './support/viewer.js';
import { histogramQuantile } from '../src/store/metric-queries.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const ns = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });

/** Bucket counts with `n` measurements in the bucket whose upper bound is `bound`. */
function counts(entries: Array<[number, number]>): string[] {
  const out = new Array<number>(BOUNDS.length + 1).fill(0);
  for (const [bound, n] of entries) out[BOUNDS.indexOf(bound)]! += n;
  return out.map(String);
}

interface PointSpec {
  route: string;
  status: number;
  startMs: number;
  timeMs: number;
  buckets: Array<[number, number]>;
  exemplar?: { traceId: string; spanId: string; value: number; timeMs: number };
}

function durationRequest(service: string, instance: string, points: PointSpec[], temporality = 2): unknown {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', service), str('service.instance.id', instance)] },
        scopeMetrics: [
          {
            scope: { name: 'some-sdk' },
            metrics: [
              {
                name: 'http.server.request.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: temporality,
                  dataPoints: points.map((p) => {
                    const c = counts(p.buckets);
                    return {
                      attributes: [
                        str('http.request.method', 'GET'),
                        str('http.route', p.route),
                        int('http.response.status_code', p.status),
                        ...(p.status >= 500 ? [str('error.type', String(p.status))] : []),
                      ],
                      startTimeUnixNano: ns(p.startMs),
                      timeUnixNano: ns(p.timeMs),
                      count: String(c.reduce((a, b) => a + Number(b), 0)),
                      sum: 1,
                      bucketCounts: c,
                      explicitBounds: BOUNDS,
                      exemplars: p.exemplar
                        ? [
                            {
                              traceId: p.exemplar.traceId,
                              spanId: p.exemplar.spanId,
                              asDouble: p.exemplar.value,
                              timeUnixNano: ns(p.exemplar.timeMs),
                            },
                          ]
                        : [],
                    };
                  }),
                },
              },
              {
                name: 'nodejs.eventloop.utilization',
                unit: '1',
                gauge: { dataPoints: points.map((p) => ({ timeUnixNano: ns(p.timeMs), asDouble: instance === 'a' ? 0.25 : 0.5 })) },
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

/** The same data for both tests: service "orders" with metrics from two instances (one restarts), "legacy" with spans only. */
async function seed(otlpUrl: string) {
  const now = Date.now();
  const base = now - 10 * 60_000;
  const exemplarTrace = hexId(16);
  const exemplarSpan = hexId(8);
  // A: cumulative, started at base: 10 requests, then 20 more (10 of them slower).
  await post(
    `${otlpUrl}/v1/metrics`,
    durationRequest('orders', 'a', [
      { route: '/orders', status: 200, startMs: base, timeMs: base + 60_000, buckets: [[0.025, 10]] },
      {
        route: '/orders',
        status: 200,
        startMs: base,
        timeMs: base + 120_000,
        buckets: [
          [0.025, 20],
          [0.05, 10],
        ],
        exemplar: { traceId: exemplarTrace, spanId: exemplarSpan, value: 0.042, timeMs: base + 110_000 },
      },
      { route: '/orders', status: 500, startMs: base, timeMs: base + 120_000, buckets: [[0.1, 2]] },
    ]),
  );
  // B: 5 requests, then it restarts (a new start time) and has served 3 since.
  await post(
    `${otlpUrl}/v1/metrics`,
    durationRequest('orders', 'b', [
      { route: '/orders', status: 200, startMs: base, timeMs: base + 60_000, buckets: [[0.025, 5]] },
      { route: '/orders', status: 200, startMs: base + 150_000, timeMs: base + 180_000, buckets: [[0.025, 3]] },
    ]),
  );
  // The exemplar's trace, so the link leads somewhere.
  await post(`${otlpUrl}/v1/traces`, otlpJson('orders', [span(exemplarTrace, { spanId: exemplarSpan, name: 'GET /orders' })]));
  // legacy: SERVER spans only, 10/20/30/40 ms, the last one an error.
  const legacy = [10, 20, 30, 40].map((ms, i) =>
    span(hexId(16), {
      name: 'GET /legacy',
      startTimeUnixNano: ns(now - 60_000 + i * 1000),
      endTimeUnixNano: ns(now - 60_000 + i * 1000 + ms),
      ...(i === 3 ? { status: { code: 2 } } : {}),
    }),
  );
  await post(`${otlpUrl}/v1/traces`, otlpJson('legacy', legacy));
  return { exemplarTrace };
}

test('interpolates a quantile inside its bucket, as Prometheus does', () => {
  assert.equal(histogramQuantile(0.5, [1, 2], [0, 10, 0]), 1.5);
  assert.equal(histogramQuantile(0.99, [1, 2], [0, 0, 5]), 2, 'beyond the last bound: the last bound');
  assert.equal(histogramQuantile(0.5, [1, 2], [0, 0, 0]), null);
});

test('RED per route from the duration metric, summed over instances and through a restart; from spans for a service without metrics; runtime per instance', async () => {
  const viewer = await testViewer();
  try {
    await seed(viewer.otlpHttpUrl);
    const { body: services } = await getJson(viewer, '/api/metrics/services');
    assert.deepEqual(services.withMetrics, ['orders']);
    assert.ok(services.services.includes('legacy'));

    const { body: red } = await getJson(viewer, '/api/metrics/red?service=orders&since=15m&steps=30');
    assert.equal(red.source, 'metrics');
    const orders = red.routes.find((r: { route: string }) => r.route === 'GET /orders');
    // a: 30 (its series began inside the window) + 2 errors; b: 5, then 3 after its restart.
    assert.equal(orders.total, 40);
    assert.equal(orders.errors, 2);
    const busiest = orders.steps.reduce((a: any, b: any) => (b.rate > (a.rate ?? 0) ? b : a));
    assert.ok(busiest.p50 > 0.01 && busiest.p50 <= 0.05, `p50 ${busiest.p50}`);
    const withExemplar = orders.steps.find((s: any) => s.exemplars.length > 0);
    assert.equal(withExemplar.exemplars[0].value, 0.042);

    const { body: legacy } = await getJson(viewer, '/api/metrics/red?service=legacy&since=15m&steps=1');
    assert.equal(legacy.source, 'spans');
    assert.equal(legacy.routes[0].route, 'GET /legacy');
    assert.deepEqual([legacy.routes[0].total, legacy.routes[0].errors], [4, 1]);
    const step = legacy.routes[0].steps.find((s: any) => s.rate !== null);
    assert.ok(Math.abs(step.p50 - 0.02) < 1e-9, 'exact percentiles from the spans themselves');

    const { body: runtime } = await getJson(viewer, '/api/metrics/runtime?service=orders&since=15m');
    const elu = runtime.charts.find((c: { name: string }) => c.name === 'nodejs.eventloop.utilization');
    assert.deepEqual(elu.lines.map((l: { instance: string }) => l.instance).sort(), ['a', 'b']);

    const bad = await getJson(viewer, '/api/metrics/red?since=15m');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /service is required/);
  } finally {
    await viewer.close();
  }
});

test('the metrics page in Chromium: charts per route, a click on a point lists its traces, and the link opens the trace', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const viewer = await testViewer();
  try {
    const { exemplarTrace } = await seed(viewer.otlpHttpUrl);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${viewer.uiUrl}/#/metrics?service=orders&since=15m`);
    const card = page.locator('.route-card[data-route="GET /orders"]');
    await card.locator('canvas').first().waitFor();
    assert.equal(await card.locator('canvas').count(), 3, 'rate, errors, latency');
    assert.match(await card.locator('h3').innerText(), /40 requests · 5\.0% errors/);
    assert.match(await page.locator('.search-status').innerText(), /from its http\.server\.request\.duration metric/);
    assert.ok((await page.locator('.metrics-runtime canvas').count()) >= 1, 'runtime charts');
    await page.screenshot({ path: `${ARTIFACTS}metrics.png`, fullPage: true });

    // Click the latency chart where the step with the exemplar is drawn.
    const { body: red } = await getJson(viewer, '/api/metrics/red?service=orders&since=15m');
    const steps = red.routes[0].steps as Array<{ exemplars: unknown[] }>;
    const index = steps.findIndex((s) => s.exemplars.length > 0);
    const over = card.locator('.chart').nth(2).locator('.u-over');
    const box = (await over.boundingBox())!;
    await over.click({ position: { x: (box.width * index) / (steps.length - 1), y: box.height / 2 } });
    const link = card.locator(`.exemplar-panel a[href="#/trace/${exemplarTrace}"]`);
    await link.waitFor();
    await link.click();
    await page.waitForSelector('.waterfall .row');
    assert.match(page.url(), new RegExp(`#/trace/${exemplarTrace}$`));

    // A service with spans only: the same view, computed from its spans.
    await page.goto(`${viewer.uiUrl}/#/metrics?service=legacy&since=15m`);
    await page.locator('.route-card[data-route="GET /legacy"] canvas').first().waitFor();
    assert.match(await page.locator('.search-status').innerText(), /computed from its SERVER spans/);
    await page.screenshot({ path: `${ARTIFACTS}metrics-from-spans.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await viewer.close();
  }
});
