// The receiver against real senders: the unmodified OpenTelemetry JS exporters (http/protobuf,
// http/json, gRPC) and Sightline itself; and against malformed input, which must be refused with
// the right status while the server keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import http2 from 'node:http2';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { getJson, otlpJson, span, testViewer, hexId, waitForSpans } from './support/viewer.js';
import { Reader } from '@sightline/otlp';

// The SDK's own record of the root's end time, as nanoseconds since the epoch: the receiver must
// store it exactly. (Comparing the root's end with the child's is no check: the SDK derives times
// from floating-point milliseconds, and two ends a microsecond apart can come out in either order.)
function endNanos(span: unknown): string {
  const [seconds, nanos] = (span as { endTime: [number, number] }).endTime;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

async function sendWithOfficialSdk(
  exporter: ProtoExporter | JsonExporter | GrpcExporter,
  service: string,
): Promise<{ traceId: string; rootEnd: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('official-sdk-test', '1.2.3');
  const root = tracer.startSpan('GET /items/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/items/:id', 'http.response.status_code': 500 },
  });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'SELECT items',
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.rows': 3, ratio: 0.5, cached: false } },
    ctx,
  );
  child.addEvent('retry', { attempt: 2 });
  child.end();
  const grandchild = tracer.startSpan('render', {}, trace.setSpan(ctx, child));
  grandchild.recordException(new Error('template missing'));
  grandchild.setStatus({ code: SpanStatusCode.ERROR, message: 'template missing' });
  grandchild.end();
  root.setStatus({ code: SpanStatusCode.ERROR });
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, rootEnd: endNanos(root) };
}

for (const [label, make] of [
  ['http/protobuf', (v: { otlpHttpUrl: string }) => new ProtoExporter({ url: `${v.otlpHttpUrl}/v1/traces` })],
  ['http/json', (v: { otlpHttpUrl: string }) => new JsonExporter({ url: `${v.otlpHttpUrl}/v1/traces` })],
  ['grpc', (v: { otlpGrpcAddress: string }) => new GrpcExporter({ url: `http://${v.otlpGrpcAddress}` })],
] as const) {
  test(`traces from the OpenTelemetry JS ${label} exporter are stored complete and searchable`, async () => {
    const viewer = await testViewer();
    try {
      const { traceId, rootEnd } = await sendWithOfficialSdk(make(viewer as never) as never, `otel-${label}`);
      await waitForSpans(viewer, 3);
      const search = await getJson(viewer, `/api/traces?service=otel-${label}&error=true`);
      assert.equal(search.status, 200);
      assert.equal(search.body.traces.length, 1);
      const summary = search.body.traces[0];
      assert.deepEqual(
        { ...summary, startTimeUnixNano: undefined, durationNano: undefined },
        {
          traceId,
          rootService: `otel-${label}`,
          rootName: 'GET /items/:id',
          startTimeUnixNano: undefined,
          durationNano: undefined,
          spanCount: 3,
          errorCount: 2,
          services: [`otel-${label}`],
        },
      );
      const { body } = await getJson(viewer, `/api/traces/${traceId}`);
      const byName = Object.fromEntries(body.spans.map((s: any) => [s.name, s]));
      const root = byName['GET /items/:id'];
      const child = byName['SELECT items'];
      const grandchild = byName.render;
      assert.equal(root.parentSpanId, '');
      assert.equal(child.parentSpanId, root.spanId);
      assert.equal(grandchild.parentSpanId, child.spanId);
      assert.equal(root.kind, 'SERVER');
      assert.equal(child.kind, 'CLIENT');
      assert.equal(grandchild.kind, 'INTERNAL');
      assert.deepEqual(child.attributes, { 'db.system.name': 'postgresql', 'db.rows': 3, ratio: 0.5, cached: false });
      assert.equal(root.attributes['http.response.status_code'], 500);
      assert.equal(root.resource['service.name'], `otel-${label}`);
      assert.deepEqual(child.scope, { name: 'official-sdk-test', version: '1.2.3' });
      assert.deepEqual(
        child.events.map((e: any) => [e.name, e.attributes]),
        [['retry', { attempt: 2 }]],
      );
      assert.deepEqual(grandchild.status, { code: 'ERROR', message: 'template missing' });
      assert.equal(grandchild.events[0].name, 'exception');
      assert.match(grandchild.events[0].attributes['exception.stacktrace'], /template missing/);
      assert.match(root.startTimeUnixNano, /^\d{19}$/);
      assert.equal(root.endTimeUnixNano, rootEnd);
    } finally {
      await viewer.close();
    }
  });
}

test('traces from Sightline (http/protobuf, http/json and gRPC) arrive with parents intact', async () => {
  const viewer = await testViewer();
  const run = promisify(execFile);
  const app = fileURLToPath(new URL('../../../examples/hello/app.mjs', import.meta.url));
  try {
    for (const [protocol, endpoint] of [
      ['http/protobuf', viewer.otlpHttpUrl],
      ['http/json', viewer.otlpHttpUrl],
      ['grpc', `http://${viewer.otlpGrpcAddress}`],
    ]) {
      await run(process.execPath, ['--import', 'sightline/register', app], {
        env: {
          ...process.env,
          OTEL_SERVICE_NAME: `sl-${protocol}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        },
      });
    }
    await waitForSpans(viewer, 36);
    assert.deepEqual((await getJson(viewer, '/api/services')).body.services, ['sl-grpc', 'sl-http/json', 'sl-http/protobuf']);
    for (const service of ['sl-grpc', 'sl-http/json', 'sl-http/protobuf']) {
      const { body } = await getJson(viewer, `/api/traces?service=${encodeURIComponent(service)}`);
      assert.equal(body.traces.length, 3, service);
      for (const summary of body.traces) {
        const trace = (await getJson(viewer, `/api/traces/${summary.traceId}`)).body;
        const ids = new Set(trace.spans.map((s: any) => s.spanId));
        // client -> server -> handler -> compute: every span but the root has its parent in the trace.
        assert.equal(trace.spans.length, 4);
        assert.equal(trace.spans.filter((s: any) => s.parentSpanId === '').length, 1);
        assert.ok(trace.spans.every((s: any) => s.parentSpanId === '' || ids.has(s.parentSpanId)));
      }
    }
  } finally {
    await viewer.close();
  }
});

async function post(url: string, body: Buffer | string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

function statusOf(buf: Buffer): { code: number; message: string } {
  const out = { code: 0, message: '' };
  const r = Reader.of(buf);
  r.each((n) => (n === 1 ? ((out.code = r.varint()), true) : n === 2 ? ((out.message = r.string()), true) : false));
  return out;
}

test('malformed, truncated, mistyped and oversized bodies get the right status and the server keeps serving', async () => {
  const viewer = await testViewer({ maxBodyBytes: 64 * 1024 });
  const url = `${viewer.otlpHttpUrl}/v1/traces`;
  const proto = { 'content-type': 'application/x-protobuf' };
  try {
    // Field 1 (resource_spans) claims 100 bytes but only 2 follow.
    const malformed = await post(url, Buffer.from([0x0a, 100, 1, 2]), proto);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.type, 'application/x-protobuf');
    const status = statusOf(malformed.body);
    assert.equal(status.code, 3);
    assert.match(status.message, /malformed protobuf traces request: truncated/);

    const wrongWire = await post(url, Buffer.from([0x08, 0x01]), proto);
    assert.equal(wrongWire.status, 400);

    const gzipped = gzipSync(JSON.stringify(otlpJson('svc', [span(hexId(16))])));
    const truncated = await post(url, gzipped.subarray(0, gzipped.length - 10), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(truncated.status, 400);
    assert.match(JSON.parse(truncated.body.toString()).message, /gzip body is corrupt or truncated/);

    const wrongType = await post(url, '{}', { 'content-type': 'text/plain' });
    assert.equal(wrongType.status, 415);
    assert.match(JSON.parse(wrongType.body.toString()).message, /content-type "text\/plain" is not supported/);

    const badJson = await post(url, '{"resourceSpans": [', { 'content-type': 'application/json' });
    assert.equal(badJson.status, 400);
    assert.match(JSON.parse(badJson.body.toString()).message, /not valid JSON/);

    const big = await post(url, Buffer.alloc(100 * 1024, 1), proto);
    assert.equal(big.status, 413);

    // A small gzip body that inflates past the limit is refused too.
    const bomb = await post(url, gzipSync(Buffer.alloc(1024 * 1024, 0x20)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(bomb.status, 413);

    // Chunked (no content-length) and oversized.
    const chunked = await new Promise<number>((resolve, reject) => {
      {
        const r = request(
          url,
          { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        r.on('error', reject);
        for (let i = 0; i < 20; i++) r.write(Buffer.alloc(8 * 1024, 1));
        r.end();
      }
    });
    assert.equal(chunked, 413);

    const wrongPath = await post(`${viewer.otlpHttpUrl}/v1/other`, '{}', { 'content-type': 'application/json' });
    assert.equal(wrongPath.status, 404);

    // Still serving, and a good request is stored.
    const good = await post(url, JSON.stringify(otlpJson('still-up', [span(hexId(16))])), { 'content-type': 'application/json' });
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(good.body.toString()), {});
    assert.deepEqual((await getJson(viewer, '/api/services')).body.services, ['still-up']);
    assert.equal(viewer.counters.malformed, 4, 'protobuf, wire type, gzip and JSON');
    assert.equal(viewer.counters.oversized, 3);
  } finally {
    await viewer.close();
  }
});

test('a request with some invalid spans stores the rest and reports partial success', async () => {
  const viewer = await testViewer();
  try {
    const traceId = hexId(16);
    const body = otlpJson('partial', [
      span(traceId),
      span('zz', {}),
      span(traceId, { spanId: '0000000000000000' }),
      span(traceId, { startTimeUnixNano: 'soon' }),
    ]);
    const json = await post(`${viewer.otlpHttpUrl}/v1/traces`, JSON.stringify(body), { 'content-type': 'application/json' });
    assert.equal(json.status, 200);
    const answer = JSON.parse(json.body.toString());
    assert.equal(answer.partialSuccess.rejectedSpans, '3');
    assert.match(answer.partialSuccess.errorMessage, /3 span\(s\) rejected; first: span "op" has an invalid traceId/);
    assert.equal(viewer.store.stats().spans, 1);
  } finally {
    await viewer.close();
  }
});

test('logs and metrics are accepted and stored, in protobuf and JSON; a metric without a name is rejected', async () => {
  const viewer = await testViewer();
  try {
    const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'a' } }, { body: { stringValue: 'b' } }] }] }] };
    assert.equal((await post(`${viewer.otlpHttpUrl}/v1/logs`, JSON.stringify(logs), { 'content-type': 'application/json' })).status, 200);
    // ExportMetricsServiceRequest { resource_metrics { scope_metrics { metrics {} metrics {} metrics {} } } }: three metrics without names.
    const nameless = Buffer.from([0x0a, 8, 0x12, 6, 0x12, 0, 0x12, 0, 0x12, 0]);
    const answer = await post(`${viewer.otlpHttpUrl}/v1/metrics`, nameless, { 'content-type': 'application/x-protobuf' });
    assert.equal(answer.status, 200);
    const gauge = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            { metrics: [{ name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: String(Date.now() * 1e6), asInt: '7' }] } }] },
          ],
        },
      ],
    };
    assert.equal(
      (await post(`${viewer.otlpHttpUrl}/v1/metrics`, JSON.stringify(gauge), { 'content-type': 'application/json' })).status,
      200,
    );
    assert.equal(viewer.counters.logRecords, 2);
    assert.deepEqual([viewer.counters.metricPoints, viewer.counters.rejectedMetricPoints], [1, 3]);
    assert.equal(viewer.store.stats().metricPoints, 1);
  } finally {
    await viewer.close();
  }
});

test('gRPC: malformed messages get INVALID_ARGUMENT, unknown methods UNIMPLEMENTED, and the server keeps serving', async () => {
  const viewer = await testViewer({ maxBodyBytes: 1024 });
  const session = http2.connect(`http://${viewer.otlpGrpcAddress}`);
  const call = (path: string, message: Buffer) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      stream.on('trailers', (trailers) => resolve(trailers));
      stream.on('error', reject);
      stream.resume();
      stream.end(frame);
    });
  try {
    const trace = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
    const bad = await call(trace, Buffer.from([0x0a, 50, 1]));
    assert.equal(bad['grpc-status'], '3');
    assert.match(decodeURIComponent(String(bad['grpc-message'])), /truncated/);
    assert.equal((await call('/nope.Service/Export', Buffer.alloc(0)))['grpc-status'], '12');
    assert.equal((await call(trace, Buffer.alloc(4096)))['grpc-status'], '8');
    assert.equal((await call(trace, Buffer.alloc(0)))['grpc-status'], '0');
  } finally {
    session.close();
    await viewer.close();
  }
});
