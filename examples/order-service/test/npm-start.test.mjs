// The demo as a newcomer runs it: `npm start` at the repository root, a real order through the real
// services, the trace found through the viewer's API with each service's log lines under their
// spans (and the trace page in Chromium, screenshot kept), a declined order's error log linked to
// its trace, then Ctrl-C (SIGINT to the process group, as a terminal sends it) and every process
// gone with the last request's spans stored. Once with nothing installed (embedded Postgres,
// pg-boss), once against the real Postgres and Redis (BullMQ).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(root, 'test-artifacts', 'order-service');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopGroup(demo) {
  try {
    process.kill(-demo.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ports from `base`, below Linux's ephemeral range (32768 and up), where an outgoing connection may hold one for a moment. */
async function startDemo(base, extraEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), 'order-service-'));
  const ports = {
    VIEWER_PORT: base,
    OTLP_HTTP_PORT: base + 1,
    OTLP_GRPC_PORT: base + 2,
    ORDERS_PORT: base + 3,
    SHIPPING_PORT: base + 4,
    PG_PORT: base + 5,
  };
  const env = {
    ...process.env,
    ORDER_SERVICE_DATA: dataDir,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  Object.assign(env, extraEnv);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // Its own process group, so the test can send SIGINT to the whole group as a terminal's Ctrl-C does.
  const child = spawn(npm, ['start', '--', '--no-traffic'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  await waitFor(
    'the demo to start',
    () => out.includes('Sightline demo is running') || (child.exitCode !== null && Promise.reject(new Error(out))),
    120_000,
  );
  const viewer = `http://127.0.0.1:${ports.VIEWER_PORT}`;
  const orders = `http://127.0.0.1:${ports.ORDERS_PORT}`;
  return { child, exited, out: () => out, dataDir, viewer, orders };
}

async function api(viewer, path) {
  const res = await fetch(`${viewer}${path}`);
  return { status: res.status, body: await res.json() };
}

function traceIdOf(response) {
  const match = /trace;desc=00-([0-9a-f]{32})-([0-9a-f]{16})-0[0-3]/.exec(response.headers.get('server-timing') ?? '');
  assert.ok(match, `Server-Timing names the trace: ${response.headers.get('server-timing')}`);
  return match[1];
}

function postOrder(orders, body) {
  return fetch(`${orders}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function scenario(demo, messagingSystem) {
  // A good order: one trace through all three services.
  const created = await postOrder(demo.orders, { item: 'teapot', quantity: 2 });
  assert.equal(created.status, 201, demo.out());
  const order = await created.json();
  assert.equal(order.item, 'teapot');
  assert.equal(order.quantity, 2);
  const traceId = traceIdOf(created);
  const spans = await waitFor('the worker’s pg span in the trace', async () => {
    const { status, body } = await api(demo.viewer, `/api/traces/${traceId}`);
    if (status !== 200) return undefined;
    // Each service exports on its own schedule, and a service's batches may arrive in any order:
    // wait for every span checked below.
    const has = (predicate) => body.spans.some(predicate);
    const pg = (s) => s.kind === 'CLIENT' && s.attributes['db.system.name'] === 'postgresql';
    const consumer = body.spans.find((s) => s.kind === 'CONSUMER');
    const complete =
      has((s) => s.serviceName === 'orders' && s.kind === 'SERVER') &&
      has((s) => s.serviceName === 'shipping' && s.kind === 'SERVER') &&
      has((s) => s.serviceName === 'orders' && s.kind === 'CLIENT' && s.attributes['http.request.method'] !== undefined) &&
      has((s) => s.serviceName === 'orders' && s.kind === 'PRODUCER') &&
      has((s) => s.serviceName === 'orders' && pg(s)) &&
      has((s) => s.serviceName === 'shipping' && pg(s)) &&
      consumer !== undefined &&
      has((s) => s.parentSpanId === consumer.spanId && pg(s));
    return complete ? body.spans : undefined;
  });
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  assert.deepEqual([...new Set(spans.map((s) => s.serviceName))].sort(), ['orders', 'shipping', 'worker']);
  const ordersServer = spans.find((s) => s.serviceName === 'orders' && s.kind === 'SERVER');
  const shippingServer = spans.find((s) => s.serviceName === 'shipping' && s.kind === 'SERVER');
  assert.equal(ordersServer.name, 'POST /orders');
  assert.equal(shippingServer.name, 'POST /quotes');
  const fetchSpan = byId.get(shippingServer.parentSpanId);
  assert.equal(fetchSpan.kind, 'CLIENT', 'the fetch CLIENT span parents the shipping SERVER span');
  assert.equal(fetchSpan.serviceName, 'orders');
  assert.equal(fetchSpan.parentSpanId, ordersServer.spanId);
  assert.ok(
    spans.some(
      (s) =>
        s.serviceName === 'orders' &&
        s.kind === 'CLIENT' &&
        s.attributes['db.system.name'] === 'postgresql' &&
        s.parentSpanId === ordersServer.spanId,
    ),
    'orders pg spans',
  );
  assert.ok(
    spans.some((s) => s.serviceName === 'shipping' && s.kind === 'CLIENT' && s.attributes['db.system.name'] === 'postgresql'),
    'shipping pg span',
  );
  const consumer = spans.find((s) => s.kind === 'CONSUMER');
  const producer = byId.get(consumer.parentSpanId);
  assert.equal(producer.kind, 'PRODUCER', 'a PRODUCER span parents the worker’s CONSUMER span');
  assert.equal(producer.serviceName, 'orders');
  assert.equal(consumer.serviceName, 'worker');
  assert.equal(consumer.attributes['messaging.system'], messagingSystem);
  assert.equal(ordersServer.parentSpanId, '');

  // Each service's log lines, exported by the pino bridge, under the span that wrote them.
  const logs = await waitFor('each service’s log lines in the trace', async () => {
    const { body } = await api(demo.viewer, `/api/traces/${traceId}/logs`);
    const bodies = new Set(body.logs.map((l) => l.body));
    return ['order accepted', 'quote given', 'order confirmed'].every((b) => bodies.has(b)) ? body.logs : undefined;
  });
  const logOf = (text) => logs.find((l) => l.body === text);
  assert.equal(logOf('order accepted').serviceName, 'orders');
  assert.equal(logOf('order accepted').spanId, ordersServer.spanId, 'written in the request’s SERVER span');
  assert.equal(logOf('order accepted').attributes.orderId, order.id, 'the line’s own fields as attributes');
  assert.equal(logOf('quote given').serviceName, 'shipping');
  assert.equal(logOf('quote given').spanId, shippingServer.spanId);
  assert.equal(logOf('order confirmed').serviceName, 'worker');
  assert.equal(logOf('order confirmed').spanId, consumer.spanId, 'the worker’s line under its CONSUMER span');
  await screenshotTrace(demo.viewer, traceId, ['order accepted', 'quote given', 'order confirmed'], `trace-logs-${messagingSystem}.png`);

  // A declined order: 502, and its trace found by an error search.
  const declined = await postOrder(demo.orders, { item: 'decline-anvil', quantity: 1 });
  assert.equal(declined.status, 502);
  assert.match((await declined.json()).error, /shipping declined the order: we do not ship "decline-anvil"/);
  const declinedTrace = traceIdOf(declined);
  await waitFor('the declined trace in an error search', async () =>
    (await api(demo.viewer, '/api/traces?error=true&service=orders')).body.traces.some((t) => t.traceId === declinedTrace),
  );
  // Its error log, found on the Logs page's search, links to the trace.
  const errorLog = await waitFor('the declined order’s error log', async () =>
    (await api(demo.viewer, '/api/logs?service=orders&severity=ERROR')).body.logs.find((l) => l.body === 'shipping declined the order'),
  );
  assert.equal(errorLog.traceId, declinedTrace);
  assert.equal(errorLog.severity, 'ERROR');

  // Bad input, unknown orders, health checks.
  const invalid = await postOrder(demo.orders, { item: 'teapot', quantity: 0 });
  assert.equal(invalid.status, 400);
  assert.match((await invalid.json()).message, /quantity must be >= 1/);
  assert.equal((await fetch(`${demo.orders}/orders/999999`)).status, 404);
  const health = await fetch(`${demo.orders}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('server-timing'), null, 'no trace for /healthz');

  // The last request, then Ctrl-C at once.
  const last = await postOrder(demo.orders, { item: 'kettle', quantity: 1 });
  assert.equal(last.status, 201);
  const lastTrace = traceIdOf(last);
  const pids = JSON.parse(readFileSync(join(demo.dataDir, 'pids.json'), 'utf8'));
  process.kill(-demo.child.pid, 'SIGINT');
  const started = Date.now();
  await Promise.race([
    demo.exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`npm start did not stop: ${demo.out()}`)), 20_000)),
  ]);
  for (const [name, pid] of Object.entries(pids)) {
    // npm itself may exit first; the services, database and viewer follow in order.
    await waitFor(`${name} (pid ${pid}) to exit`, () => !alive(pid), 10_000);
  }
  const stopMs = Date.now() - started;
  await waitFor('start.mjs to report the stop', () => /stopped\./.test(demo.out()), 5000);

  // The viewer's store, reopened, holds the last request's spans.
  const { startViewer } = await import('../../../packages/viewer/dist/index.js');
  const viewer = await startViewer({ dataFile: join(demo.dataDir, 'viewer', 'traces.db'), port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
  try {
    const stored = viewer.store.trace(lastTrace).map((s) => ({ service: s.serviceName, ...s.span }));
    assert.ok(
      stored.some((s) => s.service === 'orders' && s.kind === 2),
      'the last request’s SERVER span was stored',
    );
    assert.ok(
      stored.some((s) => s.service === 'shipping'),
      'and the shipping spans it caused',
    );
    assert.ok(
      viewer.store.search({ limit: 1000, attributes: [['url.path', '/healthz']] }).length === 0,
      'no /healthz span was ever stored',
    );
  } finally {
    await viewer.close();
  }
  return stopMs;
}

/** The trace page in headless Chromium, once the given log lines show; the screenshot is kept as an artefact. */
async function screenshotTrace(viewer, traceId, lines, file) {
  if (!existsSync(CHROMIUM)) {
    if (process.env.SIGHTLINE_REQUIRE_SERVICES === '1')
      throw new Error(`Chromium is not installed at ${CHROMIUM} and SIGHTLINE_REQUIRE_SERVICES=1`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${viewer}/#/trace/${traceId}`);
    const panel = page.locator('.trace-logs');
    await panel.waitFor({ timeout: 15_000 });
    const text = await panel.innerText();
    for (const line of lines) assert.match(text, new RegExp(line), `the trace page shows "${line}"`);
    for (const service of ['orders', 'shipping', 'worker']) assert.match(text, new RegExp(service), `a line of ${service}`);
    await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
  } finally {
    await browser.close();
  }
}

describe('npm start', () => {
  it('with nothing installed: embedded Postgres and pg-boss, one trace across three services, clean Ctrl-C', async (t) => {
    const demo = await startDemo(26000, {});
    try {
      assert.match(demo.out(), /embedded Postgres \(PGlite\)/);
      assert.match(demo.out(), /pg-boss on Postgres/);
      t.diagnostic(`Ctrl-C to every process gone: ${await scenario(demo, 'pg-boss')} ms`);
    } finally {
      stopGroup(demo);
    }
  });

  it('against the real Postgres and Redis: BullMQ', async (t) => {
    for (const [name, url] of [
      ['PostgreSQL', POSTGRES_URL],
      ['Redis', REDIS_URL],
    ]) {
      if (!(await reachable(url))) {
        if (process.env.SIGHTLINE_REQUIRE_SERVICES === '1')
          throw new Error(`${name} is not reachable at ${url} and SIGHTLINE_REQUIRE_SERVICES=1`);
        return t.skip(`${name} is not reachable at ${url}`);
      }
    }
    const demo = await startDemo(26100, { DATABASE_URL: POSTGRES_URL, REDIS_URL });
    try {
      assert.match(demo.out(), /BullMQ on REDIS_URL/);
      t.diagnostic(`Ctrl-C to every process gone: ${await scenario(demo, 'bullmq')} ms`);
    } finally {
      stopGroup(demo);
    }
  });
});
