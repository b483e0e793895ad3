// Hostile or broken input never costs the viewer a good batch, never crashes a page, and a huge
// trace opens fast: times beyond what the store holds, values nested at any depth, spans that name
// each other as parents, a 100,000-span trace in real Chromium, and requests to a rebound host name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { request } from 'node:http';
import { buildTrace } from '../src/ui/trace-model.js';
import { ARTIFACTS, launch } from './support/browser.js';
import { getJson, hexId, otlpJson, span, testViewer } from './support/viewer.js';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** An AnyValue nested `depth` levels below its top (kvlist in kvlist …), as JSON text: JSON.stringify itself recurses. */
function nested(depth: number): string {
  return '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth) + '{"stringValue":"bottom"}' + '}]}}'.repeat(depth);
}

/** An OTLP/JSON body with `rawValue` (JSON text) spliced in where the placeholder string stands. */
function withRaw(body: unknown, rawValue: string): string {
  return JSON.stringify(body).replace('"@RAW@"', rawValue);
}

test('a span with a time beyond what the store holds is rejected alone; the rest of its request is stored', async () => {
  const viewer = await testViewer();
  try {
    const traceId = hexId(16);
    const good = span(traceId, { name: 'good' });
    const farStart = span(traceId, { name: 'far start', startTimeUnixNano: String(2n ** 63n), endTimeUnixNano: String(2n ** 63n + 1n) });
    const farEnd = span(traceId, { name: 'far end', endTimeUnixNano: String(2n ** 64n - 1n) });
    const answer = await postJson(`${viewer.otlpHttpUrl}/v1/traces`, otlpJson('far', [farStart, good, farEnd]));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.partialSuccess.rejectedSpans, '2');
    assert.match(answer.body.partialSuccess.errorMessage, /beyond 9223372036854775807 ns/);
    const stored = (await getJson(viewer, `/api/traces/${traceId}`)).body;
    assert.deepEqual(
      stored.spans.map((s: any) => s.name),
      ['good'],
    );
    const logs = await postJson(`${viewer.otlpHttpUrl}/v1/logs`, {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: String(2n ** 64n - 1n), body: { stringValue: 'far' } },
                { timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'now' } },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(logs.body.partialSuccess.rejectedLogRecords, '1');
    assert.equal(viewer.store.stats().logRecords, 1);
  } finally {
    await viewer.close();
  }
});

test('a value nested deeper than 32 levels gets 400 at any depth, in JSON as in protobuf, and nothing of the request is stored', async () => {
  const viewer = await testViewer();
  try {
    const ok = await postJson(
      `${viewer.otlpHttpUrl}/v1/traces`,
      withRaw(otlpJson('deep', [span(hexId(16), { attributes: [{ key: 'at-limit', value: '@RAW@' }] })]), nested(32)),
    );
    assert.equal(ok.status, 200, 'the documented limit itself is accepted');
    for (const depth of [33, 40, 2_000, 100_000]) {
      const traceId = hexId(16);
      const good = span(traceId, { name: 'innocent' });
      const deep = span(traceId, { attributes: [{ key: 'deep', value: '@RAW@' }] });
      const answer = await postJson(`${viewer.otlpHttpUrl}/v1/traces`, withRaw(otlpJson('deep', [good, deep]), nested(depth)));
      assert.equal(answer.status, 400, `depth ${depth}`);
      assert.match(answer.body.message, /nested more than 32 levels deep/);
      const logs = await postJson(
        `${viewer.otlpHttpUrl}/v1/logs`,
        withRaw({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: '@RAW@' }] }] }] }, nested(depth)),
      );
      assert.equal(logs.status, 400, `log body at depth ${depth}`);
    }
    // Protobuf: a KeyValue list 40 levels deep, written by hand.
    const varint = (n: number): Buffer => {
      const out: number[] = [];
      for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
      out.push(n);
      return Buffer.from(out);
    };
    const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
    let value = field(0x0a, Buffer.from('x')); // AnyValue { string_value }
    for (let i = 0; i < 40; i++) value = field(0x32, field(0x0a, Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, value)]))); // kvlist_value { values { key, value } }
    const spanBytes = Buffer.concat([
      field(0x0a, Buffer.alloc(16, 1)),
      field(0x12, Buffer.alloc(8, 2)),
      field(0x2a, Buffer.from('s')),
      Buffer.from([0x39, 1, 0, 0, 0, 0, 0, 0, 0]),
      field(0x4a, Buffer.concat([field(0x0a, Buffer.from('deep')), field(0x12, value)])),
    ]);
    const body = field(0x0a, field(0x12, field(0x12, spanBytes)));
    const proto = await fetch(`${viewer.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    assert.equal(proto.status, 400);
    assert.equal(viewer.store.stats().spans, 1, 'only the request at the limit was stored');
  } finally {
    await viewer.close();
  }
});

test('spans that name each other as parents are all shown, the cycle broken at its earliest span and marked', () => {
  const outline = {
    traceId: 'a'.repeat(32),
    startTimeUnixNano: '1000',
    names: ['a', 'b', 'c', 'root', 'self'],
    services: ['svc'],
    spans: [
      ['000000000000000a', '000000000000000b', 0, 'INTERNAL', 0, 10, 50, 'UNSET'],
      ['000000000000000b', '000000000000000a', 1, 'INTERNAL', 0, 5, 60, 'UNSET'],
      ['000000000000000c', '000000000000000a', 2, 'INTERNAL', 0, 20, 30, 'ERROR'],
      ['00000000000000ff', '', 3, 'SERVER', 0, 0, 100, 'UNSET'],
      ['00000000000000ee', '00000000000000ee', 4, 'INTERNAL', 0, 1, 2, 'UNSET'],
    ],
  } as Parameters<typeof buildTrace>[0];
  const model = buildTrace(outline);
  assert.equal(model.ordered.length, 5, 'every span once');
  assert.deepEqual(
    model.ordered.map((n) => [n.span.name, n.depth]),
    [
      ['root', 0],
      ['self', 0],
      ['b', 0],
      ['a', 1],
      ['c', 2],
    ],
  );
  assert.deepEqual(
    model.roots.filter((n) => n.cycle).map((n) => n.span.name),
    ['self', 'b'],
  );
});

test('the OTLP ports bound to loopback refuse a request addressed to another host name (DNS rebinding), HTTP and gRPC', async () => {
  const viewer = await testViewer();
  try {
    const body = JSON.stringify(otlpJson('rebound', [span(hexId(16))]));
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${viewer.otlpHttpUrl}/v1/traces`);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host, 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await status('evil.example.com'), 421);
    assert.equal(await status('evil.example.com:4318'), 421);
    assert.equal(await status(`localhost:${new URL(viewer.otlpHttpUrl).port}`), 200);
    assert.equal(await status('127.0.0.1'), 200);

    const session = http2.connect(`http://${viewer.otlpGrpcAddress}`);
    const grpcStatus = (authority: string) =>
      new Promise<string>((resolve) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          ':authority': authority,
          'content-type': 'application/grpc',
        });
        stream.on('trailers', (t) => resolve(String(t['grpc-status'])));
        stream.on('response', (h) => h['grpc-status'] !== undefined && resolve(String(h['grpc-status'])));
        stream.resume();
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    assert.equal(await grpcStatus('evil.example.com:4317'), '7', 'PERMISSION_DENIED');
    assert.equal(await grpcStatus(viewer.otlpGrpcAddress), '0');
    session.close();
    assert.equal(viewer.store.stats().spans, 1);
  } finally {
    await viewer.close();
  }
});

test('a trace of 100,000 spans shows its first screen in Chromium in under 2 s, and a span’s details on a click', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const viewer = await testViewer();
  try {
    // A root with 100 children of 999 spans each, as a batch job's trace might be; sent in requests of 5,000.
    const traceId = hexId(16);
    const start = BigInt(Date.now()) * 1_000_000n;
    const spans: Array<Record<string, unknown>> = [];
    const root = span(traceId, {
      name: 'batch import',
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 100_000_000_000n),
    });
    spans.push(root);
    for (let c = 0; c < 100; c++) {
      const childStart = start + BigInt(c) * 1_000_000_000n;
      const child = span(traceId, {
        name: `chunk ${c}`,
        parentSpanId: root.spanId,
        startTimeUnixNano: String(childStart),
        endTimeUnixNano: String(childStart + 900_000_000n),
      });
      spans.push(child);
      for (let i = 0; i < 999; i++) {
        const at = childStart + BigInt(i) * 900_000n;
        spans.push(
          span(traceId, {
            name: 'INSERT rows',
            kind: 3,
            parentSpanId: child.spanId,
            startTimeUnixNano: String(at),
            endTimeUnixNano: String(at + 800_000n),
            attributes: [{ key: 'db.query.text', value: { stringValue: 'INSERT INTO rows VALUES ($1, $2)' } }],
          }),
        );
      }
    }
    for (let i = 0; i < spans.length; i += 5000) {
      const answer = await postJson(`${viewer.otlpHttpUrl}/v1/traces`, otlpJson('importer', spans.slice(i, i + 5000)));
      assert.deepEqual([answer.status, answer.body], [200, {}]);
    }
    assert.equal(viewer.store.stats().spans, 100_001);

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(viewer.uiUrl);
    await page.waitForSelector('nav');
    const started = Date.now();
    await page.goto(`${viewer.uiUrl}/#/trace/${traceId}`);
    await page.waitForSelector(`.waterfall .row[data-span-id="${root.spanId}"]`);
    await page.waitForSelector('.details h2');
    const firstScreenMs = Date.now() - started;
    t.diagnostic(`100,001 spans: first screen in ${firstScreenMs} ms; ${await page.locator('.waterfall .row').count()} rows in the DOM`);
    // What makes it fast is asserted exactly: only the rows in view exist. The time is reported (the
    // target is 2 s) and bounded loosely here, since a shared machine may be busy; before the waterfall
    // drew only what is in view, this took 36 s.
    assert.ok((await page.locator('.waterfall .row').count()) < 200, 'only the rows in view are drawn');
    assert.ok(firstScreenMs < 10_000, `first screen took ${firstScreenMs} ms`);
    assert.match(await page.locator('.trace-facts').innerText(), /100001 spans/);
    await page.screenshot({ path: `${ARTIFACTS}trace-100k-first-screen.png` });

    // Scrolling far down draws the rows there; a click shows that span's attributes.
    await page.evaluate(() => window.scrollTo(0, 50_000 * 26));
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.waterfall .row')].some(
        (r) => r.getBoundingClientRect().top > 0 && r.getBoundingClientRect().top < 400,
      ),
    );
    const row = page.locator('.waterfall .row').filter({ hasText: 'INSERT rows' }).nth(20);
    await row.click();
    await page.locator('.details').getByText('INSERT INTO rows VALUES ($1, $2)').waitFor();
    // Collapsing the root leaves one row, expanding brings them back.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click(`.row[data-span-id="${root.spanId}"] .toggle`);
    await page.waitForFunction(() => document.querySelectorAll('.waterfall .row').length === 1);
    await page.screenshot({ path: `${ARTIFACTS}trace-100k.png` });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await viewer.close();
  }
});

test('a parent cycle renders in Chromium, marked, without an error', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const viewer = await testViewer();
  try {
    const traceId = hexId(16);
    const a = span(traceId, { name: 'a' });
    const b = span(traceId, { name: 'b', parentSpanId: a.spanId });
    a.parentSpanId = b.spanId;
    await postJson(`${viewer.otlpHttpUrl}/v1/traces`, otlpJson('cyclic', [a, b]));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${viewer.uiUrl}/#/trace/${traceId}`);
    await page.waitForSelector('.waterfall .row .cycle-mark');
    assert.equal(await page.locator('.waterfall .row').count(), 2);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await viewer.close();
  }
});
