// Microbenchmarks of the hot paths (`npm run bench:micro`): ns per span start+end, sampled and
// unsampled; ns per request for the HTTP duration metric; ns per exported pino and winston line; ns per span
// encoded to OTLP protobuf and JSON; context propagation. Runs the TypeScript
// sources through tsx, which also reaches the internal encoders.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
// The API copy Sightline's sources use: bench/ has its own newer copy (for the contenders), and a newer
// API does not use a global registered by an older one.
const { context, propagation, ROOT_CONTEXT, trace, defaultTextMapSetter, defaultTextMapGetter } = createRequire(
  new URL('../packages/sightline/src/index.ts', import.meta.url),
)('@opentelemetry/api') as typeof import('@opentelemetry/api');
import { init, shutdown } from '../packages/sightline/src/index.ts';
import { traceRequestToJson } from '@sightline/otlp';
import { OtlpProtobufEncoder } from '../packages/sightline/src/export/otlp-protobuf.ts';
import { inProcessProvider } from '../packages/sightline/test/support/in-process.ts';
import { SightlineMeterProvider } from '../packages/sightline/src/metrics/meter-provider.ts';
import { AttributeSets } from '../packages/sightline/src/instrumentation/toolkit/attribute-sets.ts';
import { HTTP_DURATION_BUCKETS } from '../packages/sightline/src/instrumentation/semconv.ts';
import { DURATION_KEYS } from '../packages/sightline/src/instrumentation/http-server/http-server.ts';
import { loadConfig } from '../packages/sightline/src/config/config.ts';
import { ParentBasedSampler, TraceIdRatioSampler } from '../packages/sightline/src/trace/sampler.ts';
import { TailSampler } from '../packages/sightline/src/trace/tail-sampler.ts';
import { measure as measureLoop } from './measure.mjs';
import { SightlineTracerProvider } from '../packages/sightline/src/trace/tracer-provider.ts';

const ROUNDS = 5;

function measure(name: string, iterations: number, fn: (n: number) => void) {
  return { name, ...measureLoop(fn, iterations, ROUNDS) };
}

// No exporter: this measures the span path alone; the encoders are measured below.
init({ serviceName: 'bench', exporter: 'none', logLevel: 'error', metrics: { exporters: [] }, logs: { exporter: 'none' } });
const tracer = trace.getTracer('bench');
const attrs = {
  'http.request.method': 'GET',
  'url.path': '/items/42',
  'http.route': '/items/:id',
  'http.response.status_code': 200,
  'server.port': 3000,
};

const results = [];
results.push(
  measure('span start+end, sampled, 5 attributes', 200_000, (n) => {
    for (let i = 0; i < n; i++) tracer.startSpan('GET /items/:id', { attributes: attrs }).end();
  }),
);
results.push(
  measure('span start+end, sampled, no attributes', 200_000, (n) => {
    for (let i = 0; i < n; i++) tracer.startSpan('op').end();
  }),
);
results.push(
  measure('startActiveSpan with a child span', 100_000, (n) => {
    for (let i = 0; i < n; i++)
      tracer.startActiveSpan('parent', (s) => {
        tracer.startSpan('child').end();
        s.end();
      });
  }),
);

const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  traceFlags: 0,
  isRemote: true,
});
results.push(
  measure('span start+end, unsampled (parent not sampled)', 500_000, (n) => {
    for (let i = 0; i < n; i++) tracer.startSpan('GET /items/:id', { attributes: attrs }, unsampledParent).end();
  }),
);

const carrier = {};
const active = trace.setSpan(ROOT_CONTEXT, tracer.startSpan('p'));
results.push(
  measure('inject traceparent + baggage', 200_000, (n) => {
    for (let i = 0; i < n; i++) propagation.inject(active, carrier, defaultTextMapSetter);
  }),
);
const incoming = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE' };
results.push(
  measure('extract traceparent + tracestate', 200_000, (n) => {
    for (let i = 0; i < n; i++) propagation.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter);
  }),
);
results.push(
  measure('context.with around a function', 200_000, (n) => {
    for (let i = 0; i < n; i++) context.with(active, () => 0);
  }),
);

// Tail sampling on, head sampling dropping everything: each unsampled span is recorded and held per
// trace (a root and a child per "request"), and traces are decided as the buffer's bound is reached,
// as under a burst. Then the heap held by a full buffer of 20,000 spans, per span.
{
  const spanLimits = loadConfig({}, {}).spanLimits;
  const tailSettings = {
    enabled: true,
    latencyMillis: 1000,
    graceMillis: 60_000,
    maxTraces: 10_000,
    maxSpans: 20_000,
    maxKeptPerSecond: 100,
    attributes: [] as Array<[string, string]>,
  };
  const noop = { onEnd() {}, offer() {} };
  const tailTracer = (tail: TailSampler) =>
    new SightlineTracerProvider(new ParentBasedSampler(new TraceIdRatioSampler(0)), spanLimits, tail, true).getTracer('bench');
  const tail = new TailSampler(tailSettings, noop, undefined, 0);
  const t = tailTracer(tail);
  const notSampled = new ParentBasedSampler(new TraceIdRatioSampler(0));
  const headOnly = new SightlineTracerProvider(notSampled, spanLimits, noop).getTracer('bench');
  const requestOf = (tr: typeof t) => (n: number) => {
    for (let i = 0; i < n; i++) {
      const root = tr.startSpan('GET /items/:id', { kind: 1, attributes: attrs });
      tr.startSpan('SELECT items', { kind: 2 }, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
    }
  };
  results.push(measure('request of 2 spans, head sampling drops it, tail sampling off', 200_000, requestOf(headOnly)));
  results.push(measure('request of 2 spans, head sampling drops it, tail sampling on (decided as it ends)', 200_000, requestOf(t)));
  tail.close();
  // Requests that leave background work running are held for the grace period, up to the bounds.
  const heldRequestOf = (tr: typeof t) => (n: number) => {
    for (let i = 0; i < n; i++) {
      const root = tr.startSpan('GET /items/:id', { kind: 1, attributes: attrs });
      tr.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, root));
      tr.startSpan('SELECT items', { kind: 2 }, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
    }
  };
  const holding = new TailSampler(tailSettings, noop, undefined, 0);
  results.push(
    measure(
      'the same with work left running: held, 10,000 traces at most, then decided early',
      200_000,
      heldRequestOf(tailTracer(holding)),
    ),
  );
  holding.close();
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    const full = new TailSampler({ ...tailSettings, maxTraces: 20_000 }, noop, undefined, 0);
    gc();
    const before = process.memoryUsage().heapUsed;
    heldRequestOf(tailTracer(full))(10_000);
    gc();
    const held = process.memoryUsage().heapUsed - before;
    results.push({
      name: `heap held per buffered span (${full.stats.tailSpansBuffered} spans waiting)`,
      nsPerOp: held / full.stats.tailSpansBuffered,
      best: Number.NaN,
    });
    full.close();
  }
}

// The HTTP server duration metric, per request: what http-server.ts does when the response ends (find
// the frozen attribute set for method, scheme, route, status and protocol, then record into the
// histogram with the request's context for the exemplar), and the same with an attributes object
// built per request, as an instrumentation without the attribute-set cache would.
const meterProvider = new SightlineMeterProvider(
  { 'service.name': 'bench' },
  { views: [], exemplarFilter: 'trace_based', cardinalityLimit: 2000, defaultHistogram: 'explicit_bucket_histogram' },
);
const duration = meterProvider
  .getMeter('@sightline/instrumentation-http')
  .createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS } });
const durationSets = new AttributeSets(DURATION_KEYS);
const sampledRequest = trace.setSpan(ROOT_CONTEXT, tracer.startSpan('GET /items/:id'));
const routes = ['/items/:id', '/orders', '/users/:id/cart', '/health'];
results.push(
  measure('http.server.request.duration per request (cached attribute set, exemplar context)', 500_000, (n) => {
    for (let i = 0; i < n; i++) {
      const attributes = durationSets.get('GET', 'http', routes[i & 3], 200, undefined, '1.1');
      duration.record(0.0042, attributes, sampledRequest);
    }
  }),
);
results.push(
  measure('http.server.request.duration per request, unsampled request (no exemplar)', 500_000, (n) => {
    for (let i = 0; i < n; i++)
      duration.record(0.0042, durationSets.get('GET', 'http', routes[i & 3], 200, undefined, '1.1'), unsampledParent);
  }),
);
results.push(
  measure('the same with an attributes object built per request', 500_000, (n) => {
    for (let i = 0; i < n; i++) {
      duration.record(
        0.0042,
        {
          'http.request.method': 'GET',
          'url.scheme': 'http',
          'http.route': routes[i & 3],
          'http.response.status_code': 200,
          'network.protocol.version': '1.1',
        },
        sampledRequest,
      );
    }
  }),
);

// One pino line, and one winston line, exported as a log record: each in its own process, against the
// built package (micro-pino.mjs).
for (const library of ['pino', 'winston']) {
  const script = fileURLToPath(new URL('./micro-pino.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script, library], { encoding: 'utf8' });
  const { baseline, exported } = JSON.parse(out.trim().split('\n').pop()!) as Record<string, { nsPerOp: number; best: number }>;
  results.push({ name: `${library} line to a discarding stream, without Sightline`, ...baseline! });
  results.push({ name: `${library} line inside a span, stamped and exported as a log record (built package)`, ...exported! });
  results.push({
    name: `${library} line: Sightline’s cost (difference of medians)`,
    nsPerOp: exported!.nsPerOp - baseline!.nsPerOp,
    best: Number.NaN,
  });
}

// What the HTTP server instrumentation adds to a request, unsampled and sampled (span, context, duration
// metric, Server-Timing, and for the sampled one its export): in its own process per setting, against
// the built package (micro-http.mjs).
for (const ratio of [0, 1]) {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL('./micro-http.mjs', import.meta.url)), String(ratio)], {
    encoding: 'utf8',
  });
  const { baseline, traced } = JSON.parse(out.trim().split('\n').pop()!) as Record<string, { nsPerOp: number; best: number }>;
  const which = ratio === 0 ? 'unsampled' : 'sampled, exported';
  if (ratio === 0) results.push({ name: 'HTTP request through Node’s objects and channels, without Sightline', ...baseline! });
  results.push({
    name: `HTTP request, ${which}: Sightline’s cost (difference of medians; baseline ${Math.round(baseline!.nsPerOp)} ns)`,
    nsPerOp: traced!.nsPerOp - baseline!.nsPerOp,
    best: Number.NaN,
  });
}

// Encoders, on a realistic batch of 512 server spans.
const { provider, ended: batch } = inProcessProvider();
const batchTracer = provider.getTracer('@sightline/http', '0.1.0');
for (let i = 0; i < 512; i++) {
  const span = batchTracer.startSpan('GET /items/:id', {
    kind: 1,
    attributes: {
      ...attrs,
      'url.scheme': 'http',
      'server.address': 'localhost',
      'client.address': '127.0.0.1',
      'user_agent.original': 'autocannon/8',
      'network.protocol.version': '1.1',
    },
  });
  span.end();
}
const resource = {
  'service.name': 'bench',
  'service.instance.id': '0f6a6a4b-7d45-4bd8-9d88-2fd03b4aa1c1',
  'host.name': 'bench-host',
  'process.pid': 1234,
};
const proto = new OtlpProtobufEncoder(resource);
results.push(
  measure('encode to OTLP protobuf, per span (batch of 512)', 200, (n) => {
    for (let i = 0; i < n; i++) proto.encode(batch);
  }),
);
results[results.length - 1].nsPerOp /= batch.length;
results[results.length - 1].best /= batch.length;
const encoded = proto.encode(batch).slice();
results.push(
  measure('transcode to OTLP JSON in the export worker, per span (batch of 512)', 50, (n) => {
    for (let i = 0; i < n; i++) traceRequestToJson(encoded);
  }),
);
results[results.length - 1].nsPerOp /= batch.length;
results[results.length - 1].best /= batch.length;

// Datastore instrumentation: the same query or command inside a recording span (a CLIENT span per
// call) and outside any trace (the instrumentation only checks for a parent), interleaved round by
// round on one connection. Measured in this process's CPU time, not wall time: the round trip to the
// server varies by tens of microseconds, which would drown the span's cost.
async function datastoreOverhead(name: string, call: () => Promise<unknown>, calls: number): Promise<void> {
  const inside: number[] = [];
  const outside: number[] = [];
  for (let round = 0; round < ROUNDS * 4; round++) {
    for (const [list, traced] of [
      [outside, false],
      [inside, true],
    ] as const) {
      const started = process.cpuUsage();
      if (traced)
        await tracer.startActiveSpan('request', async (span) => {
          for (let i = 0; i < calls; i++) await call();
          span.end();
        });
      else for (let i = 0; i < calls; i++) await call();
      const used = process.cpuUsage(started);
      list.push(((used.user + used.system) * 1000) / calls);
    }
  }
  const median = (l: number[]) => l.sort((a, b) => a - b)[Math.floor(l.length / 2)]!;
  results.push({ name: `${name}, outside any trace (client CPU per call)`, nsPerOp: median(outside), best: Math.min(...outside) });
  results.push({
    name: `${name}, inside a trace (client CPU per call, with its CLIENT span)`,
    nsPerOp: median(inside),
    best: Math.min(...inside),
  });
  results.push({
    name: `${name}: instrumentation cost (difference of medians)`,
    nsPerOp: median(inside) - median(outside),
    best: Number.NaN,
  });
}
try {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  await datastoreOverhead('pg query SELECT $1', () => client.query('SELECT $1::int AS n', [1]), 2000);
  await client.end();
} catch (error) {
  console.error(`pg benchmark skipped: ${(error as Error).message}`);
}
try {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  await datastoreOverhead('ioredis GET', () => redis.get('sightline:bench'), 4000);
  redis.disconnect();
} catch (error) {
  console.error(`ioredis benchmark skipped: ${(error as Error).message}`);
}

await shutdown();

console.log(`Sightline microbenchmarks: Node ${process.version}, ${ROUNDS} rounds, median (best) ns per operation\n`);
console.log('| operation | ns/op (median), or bytes where it says so | ns/op (best) |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${Number.isNaN(r.best) ? '–' : r.best.toFixed(0)} |`);
