// Viewer store benchmark (`npm run bench:viewer`): ingest rate of OTLP/protobuf requests through
// the receiver's own path (decode, normalise, SQLite insert) on one core, then trace lookup by id
// with a million spans stored, in-process and over the HTTP API; then log records (LOGS, default
// 200,000) through the same path, a trace's logs by id, and a text search over them. Targets
// (issue #5): >= 20,000 spans/s ingest; < 50 ms per trace lookup at 1M spans.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { handleExport, newCounters } from '../packages/viewer/src/receiver/ingest.ts';
import { TraceStore } from '../packages/viewer/src/store/store.ts';
import { startViewer } from '../packages/viewer/src/server.ts';

const require = createRequire(new URL('../packages/sightline/package.json', import.meta.url));
const root = require('otlp-proto-schema/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const LogsRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

const TOTAL = Number(process.env.SPANS ?? 1_000_000);
const LOGS = Number(process.env.LOGS ?? 200_000);
const LOGS_PER_TRACE = 4;
const BATCH = 512;
const SPANS_PER_TRACE = 8;
const services = ['orders', 'shipping', 'worker', 'gateway', 'billing'];

/** One export request of BATCH spans: traces of 8 spans with HTTP/db attributes, like a busy service. */
function request(batchIndex: number): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = [];
  let traceId = randomBytes(16);
  let rootId = randomBytes(8);
  for (let i = 0; i < BATCH; i++) {
    if (i % SPANS_PER_TRACE === 0) {
      traceId = randomBytes(16);
      rootId = randomBytes(8);
    }
    const isRoot = i % SPANS_PER_TRACE === 0;
    const start = now + BigInt(i) * 1000n;
    spans.push({
      traceId,
      spanId: isRoot ? rootId : randomBytes(8),
      parentSpanId: isRoot ? undefined : rootId,
      name: isRoot ? 'GET /items/:id' : 'SELECT items',
      kind: isRoot ? 2 : 3,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 2_000_000n).toString(),
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'url.path', value: { stringValue: `/items/${batchIndex * BATCH + i}` } },
        { key: 'http.route', value: { stringValue: '/items/:id' } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
        { key: 'db.query.text', value: { stringValue: 'SELECT * FROM items WHERE id = $1' } },
      ],
      status: { code: i % 97 === 0 ? 2 : 0 },
    });
  }
  const service = services[batchIndex % services.length]!;
  return Request.encode(
    Request.fromObject({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: service } },
              { key: 'host.name', value: { stringValue: 'bench' } },
            ],
          },
          scopeSpans: [{ scope: { name: 'bench' }, spans }],
        },
      ],
    }),
  ).finish();
}

const dir = mkdtempSync(join(tmpdir(), 'viewer-bench-'));
const store = new TraceStore({ path: join(dir, 'traces.db'), maxBytes: 16 * 1024 ** 3, maxAgeMs: 0 });
const counters = newCounters();

// Requests are encoded ahead (a pool reused round-robin with fresh ids would skew dedup), so the
// timing covers only what the receiver does.
const batches = Math.ceil(TOTAL / BATCH);
const bodies: Buffer[] = [];
for (let b = 0; b < batches; b++) bodies.push(Buffer.from(request(b)));

const samples: number[] = [];
const started = performance.now();
let windowStart = started;
for (let b = 0; b < batches; b++) {
  handleExport(store, counters, 'traces', 'protobuf', bodies[b]!);
  if ((b + 1) % 200 === 0) {
    const now = performance.now();
    samples.push((200 * BATCH) / ((now - windowStart) / 1000));
    windowStart = now;
  }
}
const elapsed = (performance.now() - started) / 1000;
bodies.length = 0;
const stats = store.stats();
const overall = Math.round(stats.spans / elapsed);
console.log(`ingest: ${stats.spans.toLocaleString()} spans in ${elapsed.toFixed(1)} s = ${overall.toLocaleString()} spans/s overall`);
console.log(
  `  per 102,400-span window: first ${Math.round(samples[0]!).toLocaleString()}, last ${Math.round(samples.at(-1)!).toLocaleString()}, min ${Math.round(Math.min(...samples)).toLocaleString()} spans/s`,
);
console.log(`  database file: ${(statSync(join(dir, 'traces.db')).size / 1024 ** 2).toFixed(0)} MB`);

const ids = store.search({ limit: 1000 }).map((t) => t.traceId);
const lookups: number[] = [];
for (let i = 0; i < 500; i++) {
  const id = ids[Math.floor(Math.random() * ids.length)]!;
  const t0 = performance.now();
  const spans = store.trace(id);
  lookups.push(performance.now() - t0);
  if (spans.length !== SPANS_PER_TRACE) throw new Error(`trace ${id} has ${spans.length} spans`);
}
lookups.sort((a, b) => a - b);
console.log(`lookup by trace id (store): median ${lookups[250]!.toFixed(3)} ms, p99 ${lookups[495]!.toFixed(3)} ms`);

const searches: Array<[string, Parameters<TraceStore['search']>[0]]> = [
  ['newest 50', { limit: 50 }],
  ['service=shipping, errors only', { service: 'shipping', errorsOnly: true, limit: 50 }],
  ['attr url.path=/items/5', { attributes: [['url.path', '/items/5']], limit: 50 }],
];
for (const [label, q] of searches) {
  const t0 = performance.now();
  const found = store.search(q);
  console.log(`search ${label}: ${(performance.now() - t0).toFixed(1)} ms (${found.length} traces)`);
}
// Log records: a pino-like line per record, four per trace, a few errors.
function logsRequest(batchIndex: number, traceIds: Buffer[]): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n;
  const logRecords = [];
  for (let i = 0; i < BATCH; i++) {
    const n = batchIndex * BATCH + i;
    logRecords.push({
      timeUnixNano: (now + BigInt(i) * 1000n).toString(),
      severityNumber: n % 50 === 0 ? 17 : 9,
      severityText: n % 50 === 0 ? 'error' : 'info',
      body: { stringValue: n % 50 === 0 ? `payment ${n} declined` : `order ${n} accepted` },
      attributes: [
        { key: 'order.id', value: { intValue: n } },
        { key: 'http.route', value: { stringValue: '/orders' } },
      ],
      traceId: traceIds[Math.floor(i / LOGS_PER_TRACE)],
      spanId: randomBytes(8),
    });
  }
  const service = services[batchIndex % services.length]!;
  return LogsRequest.encode(
    LogsRequest.fromObject({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ scope: { name: 'bench' }, logRecords }],
        },
      ],
    }),
  ).finish();
}

if (LOGS > 0) {
  const logBatches = Math.ceil(LOGS / BATCH);
  const logTraceIds: string[] = [];
  const logBodies: Buffer[] = [];
  for (let b = 0; b < logBatches; b++) {
    const traceIds = Array.from({ length: BATCH / LOGS_PER_TRACE }, () => randomBytes(16));
    logTraceIds.push(...traceIds.map((t) => t.toString('hex')));
    logBodies.push(Buffer.from(logsRequest(b, traceIds)));
  }
  const t0 = performance.now();
  for (const body of logBodies) handleExport(store, counters, 'logs', 'protobuf', body);
  const seconds = (performance.now() - t0) / 1000;
  const stored = store.stats().logRecords;
  console.log(
    `logs ingest: ${stored.toLocaleString()} records in ${seconds.toFixed(1)} s = ${Math.round(stored / seconds).toLocaleString()} records/s (with ${stats.spans.toLocaleString()} spans stored)`,
  );
  console.log(`  database file: ${(statSync(join(dir, 'traces.db')).size / 1024 ** 2).toFixed(0)} MB`);
  const logLookups: number[] = [];
  for (let i = 0; i < 500; i++) {
    const id = logTraceIds[Math.floor(Math.random() * logTraceIds.length)]!;
    const t1 = performance.now();
    const found = store.traceLogs(id);
    logLookups.push(performance.now() - t1);
    if (found.length !== LOGS_PER_TRACE) throw new Error(`trace ${id} has ${found.length} log records`);
  }
  logLookups.sort((a, b) => a - b);
  console.log(`a trace's logs by id: median ${logLookups[250]!.toFixed(3)} ms, p99 ${logLookups[495]!.toFixed(3)} ms`);
  for (const [label, q] of [
    ['newest 200', { limit: 200 }],
    ['severity >= ERROR', { minSeverity: 17, limit: 200 }],
    ['text "payment 1000" (scan)', { text: 'payment 1000', limit: 200 }],
  ] as Array<[string, Parameters<TraceStore['searchLogs']>[0]]>) {
    const t1 = performance.now();
    const found = store.searchLogs(q);
    console.log(`logs search ${label}: ${(performance.now() - t1).toFixed(1)} ms (${found.length} records)`);
  }
}
store.close();

// The same lookups through the HTTP API, as the UI makes them.
const viewer = await startViewer({ dataFile: join(dir, 'traces.db'), port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
const http: number[] = [];
for (let i = 0; i < 200; i++) {
  const id = ids[Math.floor(Math.random() * ids.length)]!;
  const t0 = performance.now();
  const response = await fetch(`${viewer.uiUrl}/api/traces/${id}`);
  await response.json();
  http.push(performance.now() - t0);
}
http.sort((a, b) => a - b);
console.log(`GET /api/traces/{id} over HTTP: median ${http[100]!.toFixed(2)} ms, p99 ${http[198]!.toFixed(2)} ms`);
await viewer.close();
rmSync(dir, { recursive: true, force: true });
