// Logs next to spans: log records from the unmodified OpenTelemetry JS logs exporters (http/protobuf,
// http/json, gRPC) are stored, found by their trace and span, searchable on their own, evicted with
// the data they arrived with, and refused cleanly when malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { TraceStore } from '../src/store/store.js';
import { Sqlite } from '../src/store/sqlite.js';
import { normalizeLogsRequest, normalizeTraceRequest } from '../src/store/normalize.js';
import { getJson, hexId, otlpJson, span, tempDir, testViewer } from './support/viewer.js';

type Exporter = ProtoLogExporter | JsonLogExporter | GrpcLogExporter;

/** Writes three records with the official logs SDK: two inside a span (one structured), one outside. */
async function logWithOfficialSdk(exporter: Exporter, service: string, traceId: string, spanId: string): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BatchLogRecordProcessor(exporter)],
  });
  const logger = provider.getLogger('official-logs-test', '2.0.0');
  const inSpan = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    context: inSpan,
    severityNumber: SeverityNumber.INFO,
    severityText: 'info',
    body: 'order created',
    attributes: { 'order.id': 42 },
  });
  logger.emit({
    context: inSpan,
    severityNumber: SeverityNumber.ERROR,
    severityText: 'error',
    body: { msg: 'quote declined', item: 'decline-anvil', retries: [1, 2] },
    attributes: { 'exception.type': 'DeclinedError' },
  });
  logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'warn', body: 'cache cold at start-up' });
  await provider.forceFlush();
  await provider.shutdown();
}

async function postJson(url: string, signal: 'traces' | 'logs', body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function waitForLogs(store: TraceStore, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (store.stats().logRecords < count) {
    if (Date.now() > deadline) throw new Error(`viewer holds ${store.stats().logRecords} log records, expected ${count}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const [label, make] of [
  ['http/protobuf', (v: { otlpHttpUrl: string }) => new ProtoLogExporter({ url: `${v.otlpHttpUrl}/v1/logs` })],
  ['http/json', (v: { otlpHttpUrl: string }) => new JsonLogExporter({ url: `${v.otlpHttpUrl}/v1/logs` })],
  ['grpc', (v: { otlpGrpcAddress: string }) => new GrpcLogExporter({ url: `http://${v.otlpGrpcAddress}` })],
] as const) {
  test(`log records from the OpenTelemetry JS ${label} logs exporter are stored with their trace and span`, async () => {
    const viewer = await testViewer();
    try {
      const traceId = hexId(16);
      const spanId = hexId(8);
      await postJson(viewer.otlpHttpUrl, 'traces', otlpJson(`logs-${label}`, [span(traceId, { spanId, name: 'POST /orders' })]));
      await logWithOfficialSdk(make(viewer as never) as Exporter, `logs-${label}`, traceId, spanId);
      await waitForLogs(viewer.store, 3);

      const { status, body } = await getJson(viewer, `/api/traces/${traceId}/logs`);
      assert.equal(status, 200);
      assert.equal(body.traceId, traceId);
      const [info, error] = body.logs;
      assert.equal(body.logs.length, 2, 'the record written outside the span is not in the trace');
      assert.deepEqual(
        { ...info, timeUnixNano: undefined, observedTimeUnixNano: undefined },
        {
          timeUnixNano: undefined,
          observedTimeUnixNano: undefined,
          severityNumber: 9,
          severity: 'INFO',
          severityText: 'info',
          body: 'order created',
          attributes: { 'order.id': 42 },
          eventName: '',
          traceId,
          spanId,
          serviceName: `logs-${label}`,
          resource: info.resource,
          scope: { name: 'official-logs-test', version: '2.0.0' },
        },
      );
      assert.equal(info.resource['service.name'], `logs-${label}`);
      assert.match(info.timeUnixNano, /^\d{19}$/);
      assert.equal(error.severity, 'ERROR');
      assert.deepEqual(error.body, { msg: 'quote declined', item: 'decline-anvil', retries: [1, 2] }, 'a structured body keeps its shape');
      assert.ok(BigInt(error.timeUnixNano) >= BigInt(info.timeUnixNano), 'in time order');

      // The logs search: newest first, at or above WARN, the record outside any span included.
      const warnings = (await getJson(viewer, `/api/logs?service=logs-${label}&severity=warn`)).body.logs;
      assert.deepEqual(
        warnings.map((l: any) => [l.severity, l.traceId, l.spanId]),
        [
          ['WARN', '', ''],
          ['ERROR', traceId, spanId],
        ],
      );
    } finally {
      await viewer.close();
    }
  });
}

/** A minimal OTLP/JSON logs request. */
function logsJson(service: string, records: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ scope: { name: 'test' }, logRecords: records }],
      },
    ],
  };
}

function record(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityNumber: 9, body: { stringValue: 'hello' }, ...fields };
}

test('the logs search filters by service, severity, text, trace and time, and names a bad filter', async () => {
  const viewer = await testViewer();
  try {
    const traceId = hexId(16);
    const old = String((BigInt(Date.now()) - 3_600_000n * 2n) * 1_000_000n);
    const sent = await postJson(viewer.otlpHttpUrl, 'logs', {
      resourceLogs: [
        ...(logsJson('api', [
          record({ body: { stringValue: 'User Signed In' }, traceId, spanId: hexId(8) }),
          record({
            severityNumber: 'SEVERITY_NUMBER_ERROR',
            body: { stringValue: 'payment failed' },
            attributes: [{ key: 'card', value: { stringValue: 'visa' } }],
          }),
          record({ timeUnixNano: old, body: { stringValue: 'two hours ago' } }),
        ]).resourceLogs as unknown[]),
        ...(logsJson('worker', [record({ severityNumber: 5, body: { stringValue: 'debug noise' } })]).resourceLogs as unknown[]),
      ],
    });
    assert.deepEqual(sent, { status: 200, body: {} });
    const bodies = async (query: string) => (await getJson(viewer, `/api/logs?${query}`)).body.logs.map((l: any) => l.body);
    assert.deepEqual(await bodies('service=worker'), ['debug noise']);
    assert.deepEqual(await bodies('severity=error'), ['payment failed'], 'a severity given by enum name is read');
    assert.deepEqual(await bodies('text=signed%20in'), ['User Signed In'], 'text is matched without regard to case');
    assert.deepEqual(await bodies('text=visa'), ['payment failed'], 'text is matched in attributes too');
    assert.deepEqual(await bodies(`traceId=${traceId.toUpperCase()}`), ['User Signed In']);
    assert.deepEqual(
      await bodies('since=1h&service=api'),
      ['payment failed', 'User Signed In'],
      'newest first; since leaves out the old record',
    );
    assert.equal((await bodies('service=api')).length, 3);
    assert.deepEqual((await getJson(viewer, '/api/logs/services')).body.services, ['api', 'worker']);
    for (const [query, message] of [
      ['severity=loud', /severity="loud" must be trace, debug, info, warn, error, fatal/],
      ['traceId=xyz', /traceId="xyz" is not a trace id/],
      ['limit=0', /limit="0" must be an integer from 1 to 5000/],
      ['since=yesterday-ish', /since="yesterday-ish" is not a time/],
    ] as const) {
      const { status, body } = await getJson(viewer, `/api/logs?${query}`);
      assert.equal(status, 400, query);
      assert.match(body.error, message);
    }
    // Logs of a trace with no stored spans: an empty list, not a 404.
    assert.deepEqual((await getJson(viewer, `/api/traces/${hexId(16)}/logs`)).body.logs, []);
  } finally {
    await viewer.close();
  }
});

test('malformed logs requests get 400 with the reason and the receiver keeps serving', async () => {
  const viewer = await testViewer();
  try {
    const proto = (body: Buffer) =>
      fetch(`${viewer.otlpHttpUrl}/v1/logs`, {
        method: 'POST',
        body: new Uint8Array(body),
        headers: { 'content-type': 'application/x-protobuf' },
      });
    // resource_logs claims 50 bytes, 1 follows.
    const truncated = await proto(Buffer.from([0x0a, 50, 0]));
    assert.equal(truncated.status, 400);
    // A body nested 2,000 levels deep (arrayValue in arrayValue ...) would exhaust the stack if followed.
    let value = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
    for (let i = 0; i < 2000; i++) {
      const array = Buffer.concat([Buffer.from([0x0a]), varint(value.length), value]); // ArrayValue { values = 1 }
      value = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]); // AnyValue { array_value = 5 }
    }
    const logRecord = Buffer.concat([Buffer.from([0x2a]), varint(value.length), value]); // LogRecord { body = 5 }
    const scopeLogs = Buffer.concat([Buffer.from([0x12]), varint(logRecord.length), logRecord]);
    const resourceLogs = Buffer.concat([Buffer.from([0x12]), varint(scopeLogs.length), scopeLogs]);
    const deep = await proto(Buffer.concat([Buffer.from([0x0a]), varint(resourceLogs.length), resourceLogs]));
    assert.equal(deep.status, 400);
    const json = await postJson(viewer.otlpHttpUrl, 'logs', { resourceLogs: 'nope' });
    assert.equal(json.status, 400);
    assert.match(json.body.message, /resourceLogs is not an array/);
    const partial = await postJson(
      viewer.otlpHttpUrl,
      'logs',
      logsJson('p', [record(), 'not a record' as unknown as Record<string, unknown>]),
    );
    assert.deepEqual(partial.body, {
      partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record(s) rejected; first: a log record is not an object' },
    });
    assert.equal((await postJson(viewer.otlpHttpUrl, 'logs', logsJson('p', [record()]))).status, 200);
    assert.equal(viewer.store.stats().logRecords, 2);
  } finally {
    await viewer.close();
  }
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function storeWith(maxBytes: number, maxAgeMs = 0): TraceStore {
  return new TraceStore({ path: join(tempDir(), 'traces.db'), maxBytes, maxAgeMs });
}

const pad = { stringValue: 'x'.repeat(400) };

test('the size limit evicts log records in arrival order, and a trace takes its log records with it', () => {
  const store = storeWith(60_000);
  const traceId = hexId(16);
  store.ingest(normalizeTraceRequest(otlpJson('evict', [span(traceId)])).spans);
  store.ingestLogs(normalizeLogsRequest(logsJson('evict', [record({ traceId, spanId: hexId(8), body: pad })])).logs);
  const batches: string[] = [];
  for (let i = 0; i < 200; i++) {
    const marker = `batch-${i}`;
    batches.push(marker);
    store.ingestLogs(
      normalizeLogsRequest(logsJson('evict', [record({ body: pad, attributes: [{ key: 'marker', value: { stringValue: marker } }] })]))
        .logs,
    );
  }
  const stats = store.stats();
  assert.ok(stats.bytes <= 60_000, `stored ${stats.bytes} bytes`);
  assert.ok(stats.evictedLogRecords > 0);
  assert.equal(store.trace(traceId).length, 0, 'the oldest trace went first');
  assert.equal(store.traceLogs(traceId).length, 0, 'and its log records with it');
  const kept = store
    .searchLogs({ limit: 1000 })
    .map((l) => (l.record.attributes as Array<{ value: { stringValue: string } }>)[0]!.value.stringValue)
    .reverse();
  assert.deepEqual(kept, batches.slice(batches.length - kept.length), 'what survives is exactly the newest batches');
  store.close();
});

test('the age limit evicts old log records', async () => {
  const store = storeWith(1 << 30, 60_000);
  store.ingestLogs(normalizeLogsRequest(logsJson('age', [record(), record()])).logs);
  store.evictOlderThan(Date.now() + 1);
  assert.equal(store.stats().logRecords, 0);
  assert.equal(store.stats().evictedLogRecords, 2);
  store.close();
});

test('a database from the previous schema (no logs table) is upgraded in place, its traces kept', () => {
  const path = join(tempDir(), 'traces.db');
  const traceId = hexId(16);
  const first = new TraceStore({ path, maxBytes: 1 << 30, maxAgeMs: 0 });
  first.ingest(normalizeTraceRequest(otlpJson('v2', [span(traceId)])).spans);
  first.close();
  const raw = new Sqlite(path);
  raw.exec('DROP TABLE logs');
  raw.pragma('user_version = 2');
  raw.close();
  const upgraded = new TraceStore({ path, maxBytes: 1 << 30, maxAgeMs: 0 });
  assert.equal(upgraded.trace(traceId).length, 1);
  upgraded.ingestLogs(normalizeLogsRequest(logsJson('v2', [record({ traceId, spanId: hexId(8) })])).logs);
  assert.equal(upgraded.traceLogs(traceId).length, 1);
  upgraded.close();
});

test('an import file may mix trace and logs requests (the Collector file exporter writes both)', async () => {
  const viewer = await testViewer();
  try {
    const traceId = hexId(16);
    const lines = [
      JSON.stringify(otlpJson('mixed', [span(traceId)])),
      JSON.stringify(logsJson('mixed', [record({ traceId, spanId: hexId(8) })])),
    ].join('\n');
    const response = await fetch(`${viewer.uiUrl}/api/import`, { method: 'POST', body: lines, headers: { 'x-sightline-ui': '1' } });
    assert.deepEqual(await response.json(), { traces: 1, spans: 1, rejectedSpans: 0, logRecords: 1 });
    assert.equal((await getJson(viewer, `/api/traces/${traceId}/logs`)).body.logs.length, 1);
  } finally {
    await viewer.close();
  }
});
