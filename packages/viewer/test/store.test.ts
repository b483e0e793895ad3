// The store through the API: persistence across restarts, oldest-first eviction by size and by age,
// idempotent ingest, every search filter, and the OTLP export that re-imports to the same trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TraceStore } from '../src/store/store.js';
import { Sqlite } from '../src/store/sqlite.js';
import { normalizeTraceRequest } from '../src/store/normalize.js';
import { getJson, hexId, otlpJson, span, tempDir, testViewer } from './support/viewer.js';

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

async function send(url: string, body: unknown): Promise<number> {
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  await response.arrayBuffer();
  return response.status;
}

test('a restart keeps the stored traces', async () => {
  const dataFile = join(tempDir(), 'traces.db');
  const traceId = hexId(16);
  const first = await testViewer({ dataFile });
  await send(first.otlpHttpUrl, otlpJson('persisted', [span(traceId, { name: 'before restart' })]));
  await first.close();
  const second = await testViewer({ dataFile });
  try {
    const { status, body } = await getJson(second, `/api/traces/${traceId}`);
    assert.equal(status, 200);
    assert.equal(body.spans[0].name, 'before restart');
    assert.deepEqual((await getJson(second, '/api/services')).body.services, ['persisted']);
    // Ingest continues after the restart without colliding with stored rows.
    await send(second.otlpHttpUrl, otlpJson('persisted', [span(hexId(16))]));
    assert.equal(second.store.stats().traces, 2);
  } finally {
    await second.close();
  }
});

function storeWith(maxBytes: number, maxAgeMs = 0): TraceStore {
  return new TraceStore({ path: join(tempDir(), 'traces.db'), maxBytes, maxAgeMs });
}

function oneTrace(store: TraceStore, traceId: string, spans = 10): void {
  const list = Array.from({ length: spans }, () =>
    span(traceId, { attributes: [{ key: 'pad', value: { stringValue: 'x'.repeat(200) } }] }),
  );
  store.ingest(normalizeTraceRequest(otlpJson('evict', list)).spans);
}

test('the size limit evicts the oldest stored traces first', () => {
  const store = storeWith(40_000);
  const ids = Array.from({ length: 30 }, () => hexId(16));
  for (const id of ids) oneTrace(store, id);
  const stats = store.stats();
  assert.ok(stats.bytes <= 40_000, `stored ${stats.bytes} bytes`);
  assert.ok(stats.evictedTraces > 0);
  const kept = ids.filter((id) => store.trace(id).length > 0);
  // What survives is exactly the newest traces, each one whole.
  assert.deepEqual(kept, ids.slice(ids.length - kept.length));
  for (const id of kept) assert.equal(store.trace(id).length, 10);
  assert.equal(store.search({ limit: 100 }).length, kept.length);
  store.close();
});

test('the age limit evicts traces stored longer ago than it', async () => {
  const store = storeWith(1e9, 150);
  const old = hexId(16);
  oneTrace(store, old);
  await new Promise((r) => setTimeout(r, 200));
  store.evictOlderThan(Date.now() - 150);
  const fresh = hexId(16);
  oneTrace(store, fresh);
  assert.equal(store.trace(old).length, 0);
  assert.equal(store.trace(fresh).length, 10);
  store.close();
});

test('a database written by another schema version is refused with a message, not misread', async () => {
  const path = join(tempDir(), 'traces.db');
  const old = new Sqlite(path);
  old.exec('CREATE TABLE spans (x TEXT)');
  old.close();
  assert.throws(
    () => new TraceStore({ path, maxBytes: 1e9, maxAgeMs: 0 }),
    /written by another version of the viewer \(schema 0, this one reads 5\); move it away or start with another --data directory/,
  );
});

test('a retried batch is stored once', () => {
  const store = storeWith(1e9);
  const traceId = hexId(16);
  const rows = normalizeTraceRequest(otlpJson('retry', [span(traceId), span(traceId)])).spans;
  store.ingest(rows);
  store.ingest(rows);
  assert.equal(store.trace(traceId).length, 2);
  assert.equal(store.search({ limit: 10 })[0]!.spanCount, 2);
  store.close();
});

test('search filters: service, operation, errors, duration, attributes, time range, limit; newest first', async () => {
  const viewer = await testViewer();
  try {
    const now = Date.now();
    const mk = (service: string, name: string, startMs: number, durMs: number, extra: Record<string, unknown> = {}) => {
      const traceId = hexId(16);
      return {
        traceId,
        body: otlpJson(service, [span(traceId, { name, startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(startMs + durMs), ...extra })]),
      };
    };
    const a = mk('api', 'GET /a', now - 1000, 10, {
      attributes: [
        { key: 'http.route', value: { stringValue: '/a' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
      ],
    });
    const b = mk('api', 'GET /b', now - 2000, 300, { status: { code: 2, message: 'boom' } });
    const c = mk('worker', 'process jobs', now - 3000, 50, { attributes: [{ key: 'retry', value: { boolValue: true } }] });
    const old = mk('api', 'GET /a', now - 3 * 3_600_000, 10);
    for (const t of [a, b, c, old]) assert.equal(await send(viewer.otlpHttpUrl, t.body), 200);
    const ids = async (query: string) => (await getJson(viewer, `/api/traces?${query}`)).body.traces.map((t: any) => t.traceId);
    assert.deepEqual(await ids(''), [a.traceId, b.traceId, c.traceId, old.traceId]);
    assert.deepEqual(await ids('service=worker'), [c.traceId]);
    assert.deepEqual(await ids('service=api&name=GET%20%2Fa'), [a.traceId, old.traceId]);
    assert.deepEqual(await ids('error=true'), [b.traceId]);
    assert.deepEqual(await ids('minDurationMs=40'), [b.traceId, c.traceId]);
    assert.deepEqual(await ids('minDurationMs=40&maxDurationMs=100'), [c.traceId]);
    assert.deepEqual(await ids('attr=http.route%3D%2Fa'), [a.traceId]);
    assert.deepEqual(await ids('attr=http.response.status_code%3D200'), [a.traceId]);
    assert.deepEqual(await ids('attr=retry%3Dtrue'), [c.traceId]);
    assert.deepEqual(await ids('attr=service.name%3Dworker'), [c.traceId], 'resource attributes match too');
    assert.deepEqual(await ids('since=1h'), [a.traceId, b.traceId, c.traceId]);
    assert.deepEqual(await ids('limit=2'), [a.traceId, b.traceId]);
    const bad = await getJson(viewer, '/api/traces?limit=0');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /limit="0" must be an integer from 1 to 1000/);
    assert.match((await getJson(viewer, '/api/traces?since=yesterday')).body.error, /since="yesterday" is not a time/);
    assert.match((await getJson(viewer, '/api/traces?attr=novalue')).body.error, /attr="novalue" must be key=value/);
    assert.equal((await getJson(viewer, `/api/traces/${hexId(16)}`)).status, 404);
    assert.equal((await getJson(viewer, '/api/traces/not-an-id')).status, 400);
    assert.deepEqual((await getJson(viewer, '/api/operations?service=api')).body.operations, ['GET /a', 'GET /b']);
  } finally {
    await viewer.close();
  }
});

test('a downloaded trace re-imports to the same trace', async () => {
  const source = await testViewer();
  const target = await testViewer();
  try {
    const traceId = hexId(16);
    const root = span(traceId, {
      name: 'root',
      links: [{ traceId: hexId(16), spanId: hexId(8), attributes: [{ key: 'why', value: { stringValue: 'batch' } }] }],
    });
    const child = span(traceId, {
      name: 'child',
      parentSpanId: root.spanId,
      events: [
        {
          name: 'exception',
          timeUnixNano: root.startTimeUnixNano,
          attributes: [{ key: 'exception.stacktrace', value: { stringValue: 'Error: x\n at y' } }],
        },
      ],
    });
    await send(source.otlpHttpUrl, otlpJson('exported', [root, child]));
    const download = await fetch(`${source.uiUrl}/api/traces/${traceId}/otlp`);
    assert.match(download.headers.get('content-disposition')!, /attachment; filename="trace-[0-9a-f]{32}\.json"/);
    const file = await download.text();
    // The UI's import path (a browser cannot set this header cross-site, so it guards the endpoint).
    const refused = await fetch(`${target.uiUrl}/api/import`, { method: 'POST', body: file });
    assert.equal(refused.status, 403);
    const imported = await fetch(`${target.uiUrl}/api/import`, { method: 'POST', body: `[${file}]`, headers: { 'x-sightline-ui': '1' } });
    assert.equal(imported.status, 200);
    assert.deepEqual(await imported.json(), { traces: 1, spans: 2, rejectedSpans: 0, logRecords: 0 });
    assert.deepEqual((await getJson(target, `/api/traces/${traceId}`)).body, (await getJson(source, `/api/traces/${traceId}`)).body);
  } finally {
    await source.close();
    await target.close();
  }
});

test('the UI port refuses foreign Host headers (DNS rebinding) and sends a strict CSP', async () => {
  const viewer = await testViewer();
  try {
    const port = new URL(viewer.uiUrl).port;
    const foreign = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port, path: '/api/services', headers: { host: 'evil.example:' + port } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject),
      );
    });
    assert.equal(foreign, 421);
    const page = await fetch(`${viewer.uiUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await page.text(), /<main id="app"/);
  } finally {
    await viewer.close();
  }
});
