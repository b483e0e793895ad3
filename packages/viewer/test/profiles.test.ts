// Profiles in the viewer: OTLP profiles (the development signal) stored beside the spans they link
// to; the flame graph of a span and its descendants, of a route over a time range, and the diff of
// two ranges, over the JSON API; and the same in the UI, in real headless Chromium.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS, launch } from './support/browser.js';
import { getJson, hexId, otlpJson, otlpProfilesJson, span, tempDir, testViewer } from './support/viewer.js';
import { normalizeProfilesRequest } from '../src/store/normalize-profiles.js';
import { normalizeTraceRequest } from '../src/store/normalize.js';
import { Sqlite } from '../src/store/sqlite.js';
import { TraceStore } from '../src/store/store.js';

interface Node {
  name: string;
  value: number;
  baseline?: number;
  children: Node[];
}

/** The leaf frame of the heaviest path: where most of the time went. */
function heaviestLeaf(node: Node): string {
  let n = node;
  while (n.children.length > 0) n = n.children[0]!;
  return n.name;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A request span with a child, CPU samples under each, and samples of another route. */
async function seed(otlpUrl: string) {
  const traceId = hexId(16);
  const root = span(traceId, { name: 'GET /slow', attributes: [{ key: 'http.route', value: { stringValue: '/slow' } }] });
  const child = span(traceId, { name: 'SELECT', kind: 3, parentSpanId: root.spanId });
  assert.equal((await post(`${otlpUrl}/v1/traces`, otlpJson('shop', [root, child]))).status, 200);
  const now = Date.now();
  const ms = 1_000_000;
  const answer = await post(
    `${otlpUrl}/v1development/profiles`,
    otlpProfilesJson('shop', 'cpu', now - 1000, [
      { stack: ['main', 'handleSlow', 'burnCpuInSlowRoute'], traceId, spanId: root.spanId as string, route: '/slow', value: 300 * ms },
      { stack: ['main', 'handleSlow', 'serialize'], traceId, spanId: root.spanId as string, route: '/slow', value: 20 * ms },
      { stack: ['main', 'query', 'parseRows'], traceId, spanId: child.spanId as string, route: '/slow', value: 50 * ms },
      { stack: ['main', 'handleFast'], route: '/fast', value: 10 * ms },
    ]),
  );
  assert.equal(answer.status, 200, await answer.text());
  // An hour earlier, /slow spent its time elsewhere: the baseline of a diff.
  await post(
    `${otlpUrl}/v1development/profiles`,
    otlpProfilesJson('shop', 'cpu', now - 90 * 60_000, [{ stack: ['main', 'handleSlow', 'serialize'], route: '/slow', value: 100 * ms }]),
  );
  return { traceId, rootId: root.spanId as string, childId: child.spanId as string };
}

test('the API draws the flame graph of a span with its descendants, of a route over a range, and of a diff', async () => {
  const viewer = await testViewer();
  try {
    const { traceId, rootId, childId } = await seed(viewer.otlpHttpUrl);
    const bySpan = await getJson<{ root: Node; unit: string }>(viewer, `/api/profiles/flame?traceId=${traceId}&spanId=${rootId}`);
    assert.equal(bySpan.status, 200);
    assert.equal(bySpan.body.root.value, 370e6, 'the span’s own samples and its child’s');
    assert.equal(bySpan.body.unit, 'nanoseconds');
    assert.equal(heaviestLeaf(bySpan.body.root), 'burnCpuInSlowRoute (src/server.js:10)');
    const byChild = await getJson<{ root: Node }>(viewer, `/api/profiles/flame?traceId=${traceId}&spanId=${childId}`);
    assert.equal(byChild.body.root.value, 50e6, 'a child span: only its own samples');

    const byRoute = await getJson<{ root: Node }>(viewer, '/api/profiles/flame?service=shop&route=%2Fslow&since=15m');
    assert.equal(byRoute.body.root.value, 370e6, 'the last 15 minutes of /slow');
    const allRoutes = await getJson<{ root: Node }>(viewer, '/api/profiles/flame?service=shop&since=15m');
    assert.equal(allRoutes.body.root.value, 380e6);
    const routes = await getJson<{ routes: Array<{ route: string }>; types: string[] }>(viewer, '/api/profiles/routes?service=shop');
    assert.deepEqual(routes.body.routes.map((r) => r.route).sort(), ['/fast', '/slow']);
    assert.deepEqual(routes.body.types, ['cpu']);

    const since = Date.now() - 15 * 60_000;
    const diff = await getJson<{ root: Node }>(
      viewer,
      `/api/profiles/diff?service=shop&route=%2Fslow&since=${since}&baseSince=${since - 2 * 3_600_000}&baseUntil=${since}`,
    );
    assert.equal(diff.body.root.value, 370e6);
    assert.equal(diff.body.root.baseline, 100e6);

    const bad = await getJson<{ error: string }>(viewer, '/api/profiles/flame?traceId=xyz');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /traceId="xyz" is not a trace id/);
    assert.equal(viewer.store.stats().profileSamples, 5);
  } finally {
    await viewer.close();
  }
});

test('profile batches are evicted in arrival order with traces; a schema-4 database gains the profile tables', () => {
  const path = join(tempDir(), 'traces.db');
  const traceId = hexId(16);
  const first = new TraceStore({ path, maxBytes: 1 << 30, maxAgeMs: 0 });
  first.ingest(normalizeTraceRequest(otlpJson('v4', [span(traceId)])).spans);
  first.close();
  const raw = new Sqlite(path);
  raw.exec('DROP TABLE profile_samples; DROP TABLE profile_stacks');
  raw.pragma('user_version = 4');
  raw.close();
  const store = new TraceStore({ path, maxBytes: 1 << 30, maxAgeMs: 0 });
  assert.equal(store.trace(traceId).length, 1, 'the traces of the older file are kept');
  const batch = (stack: string) =>
    normalizeProfilesRequest(otlpProfilesJson('v4', 'cpu', Date.now(), [{ stack: ['main', stack], value: 5e6 }])).samples;
  store.ingestProfiles(batch('older'));
  store.ingestProfiles(batch('newer'));
  assert.equal(store.stats().profileSamples, 2);
  store.evictOlderThan(Date.now() + 1);
  assert.equal(store.stats().profileSamples, 0);
  assert.equal(store.stats().evictedProfileSamples, 2);
  store.close();
});

test('a profile whose time cannot be read is rejected with its samples counted; a malformed body gets 400', async () => {
  const viewer = await testViewer();
  try {
    const request = otlpProfilesJson('bad', 'cpu', Date.now(), [{ stack: ['main'], value: 1e6 }]) as any;
    request.resourceProfiles[0].scopeProfiles[0].profiles[0].timeUnixNano = 'soon';
    const answer = await post(`${viewer.otlpHttpUrl}/v1development/profiles`, request);
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { partialSuccess: { rejectedProfiles: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedProfiles, '1');
    assert.match(body.partialSuccess.errorMessage, /timeUnixNano \(soon\) is not a time/);
    const malformed = await fetch(`${viewer.otlpHttpUrl}/v1development/profiles`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0xff]),
    });
    assert.equal(malformed.status, 400);
  } finally {
    await viewer.close();
  }
});

test('the UI shows a span’s CPU flame graph in its details, and a route’s profile with a diff', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const viewer = await testViewer();
  try {
    const { traceId, rootId } = await seed(viewer.otlpHttpUrl);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${viewer.uiUrl}/#/trace/${traceId}`);
    await page.click(`.row[data-span-id="${rootId}"]`);
    const frame = page.locator('.span-profile .flame-frame', { hasText: 'burnCpuInSlowRoute' });
    await frame.waitFor();
    assert.ok(Number(await frame.getAttribute('data-share')) > 0.75, 'burnCpuInSlowRoute holds most of the span’s CPU time');
    assert.match(await page.locator('.span-profile .flame-summary').innerText(), /370 ms of cpu/);
    await page.screenshot({ path: `${ARTIFACTS}span-profile.png` });
    // Zoom into a frame, then out again.
    await page.locator('.span-profile .flame-frame', { hasText: 'handleSlow' }).click();
    await page.locator('.span-profile .flame-summary', { hasText: 'under handleSlow' }).waitFor();

    await page.goto(`${viewer.uiUrl}/#/profiles?service=shop&route=%2Fslow&since=15m&baseline=6h`);
    await page.locator('.profiles-graph .flame-summary', { hasText: 'against 100 ms in the baseline' }).waitFor();
    assert.ok(await page.locator('.profiles-graph .flame-frame', { hasText: 'burnCpuInSlowRoute' }).count());
    await page.screenshot({ path: `${ARTIFACTS}profiles-diff.png` });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await viewer.close();
  }
});
