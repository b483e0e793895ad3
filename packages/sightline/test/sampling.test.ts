// Consistent probability sampling: thresholds as the specification writes them, decisions from the
// trace id's randomness (or an explicit rv), `th` carried in the tracestate's `ot` entry, services in
// a chain deciding alike, and thresholds that contradict their context erased. Tail sampling in the
// process, on a clock the test moves: what is kept and why, late spans, bounds, rate limit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { ROOT_CONTEXT, SpanStatusCode, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { describe, it } from 'node:test';
import { randomnessAtLeast, thresholdOf } from '../src/trace/probability.js';
import { madeTraceIdAt, newSpanId, newTraceId } from '../src/trace/ids.js';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  readsSpanDetails,
  SamplingDecision,
  TraceIdRatioSampler,
  type Sampler,
} from '../src/trace/sampler.js';
import { TraceState } from '../src/trace/trace-state.js';
import { loadConfig } from '../src/config/config.js';
import { OtlpProtobufEncoder } from '../src/export/otlp-protobuf.js';
import type { RecordingSpan } from '../src/trace/span.js';
import { TailSampler, type TailSamplingSettings } from '../src/trace/tail-sampler.js';
import { SightlineTracerProvider } from '../src/trace/tracer-provider.js';
import { captureLog } from './support/capture-log.js';
import { FIXTURES, runToExit, startApp } from './support/child-app.js';
import { until } from './support/otlp-http-server.js';
import { decodeProtobuf, duplicateSpanIds, startHttpReceiver, type Receiver } from './support/otlp-receiver.js';

const traceIdWith = (randomness: string): string => randomBytes(9).toString('hex') + randomness;
const decide = (sampler: Sampler, context: Context, traceId: string) => sampler.shouldSample(context, traceId, 'op', 0, {}, []);

function remoteParent(traceId: string, sampled: boolean, traceState?: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    traceFlags: (sampled ? TraceFlags.SAMPLED : TraceFlags.NONE) | 0x02,
    isRemote: true,
    traceState: traceState === undefined ? undefined : TraceState.parse(traceState),
  });
}

describe('consistent probability sampling', () => {
  it('writes thresholds as the specification does: th:0 for 100%, th:8 for 50%, th:c for 25%, nothing for 0%', () => {
    assert.deepEqual(
      [1, 0.5, 0.25, 0.1, 0.01].map((p) => thresholdOf(p).th),
      ['0', '8', 'c', 'e6666666666666', 'fd70a3d70a3d71'],
    );
    assert.equal(thresholdOf(0).th, undefined);
    assert.equal(
      decide(new TraceIdRatioSampler(0), ROOT_CONTEXT, traceIdWith('ffffffffffffff')).decision,
      SamplingDecision.NOT_RECORD,
      '0% keeps not even the largest randomness',
    );
    assert.equal(thresholdOf(Number.NaN).th, undefined, 'a ratio that is not a number samples nothing');
  });

  it('samples by the trace id’s rightmost 56 bits against the threshold, and says so in ot=th', () => {
    const sampler = new TraceIdRatioSampler(0.5);
    const kept = decide(sampler, ROOT_CONTEXT, traceIdWith('80000000000000'));
    assert.equal(kept.decision, SamplingDecision.RECORD_AND_SAMPLED, 'R = T is sampled');
    assert.equal(kept.traceState?.get('ot'), 'th:8');
    const dropped = decide(sampler, ROOT_CONTEXT, traceIdWith('7fffffffffffff'));
    assert.equal(dropped.decision, SamplingDecision.NOT_RECORD);
    assert.equal(dropped.traceState?.get('ot'), undefined, 'no threshold on an unsampled context');
  });

  it('an explicit rv in the tracestate overrides the trace id’s randomness; other ot keys and vendors are kept', () => {
    const sampler = new TraceIdRatioSampler(0.25);
    const traceId = traceIdWith('ffffffffffffff');
    const result = decide(sampler, remoteParent(traceId, true, 'vendor=x,ot=rv:00000000000001;foo:bar'), traceId);
    assert.equal(result.decision, SamplingDecision.NOT_RECORD, 'rv 1 is below th:c');
    const kept = decide(sampler, remoteParent(traceId, true, 'vendor=x,ot=rv:c0000000000000;foo:bar'), traceId);
    assert.equal(kept.decision, SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(kept.traceState?.serialize(), 'ot=th:c;rv:c0000000000000;foo:bar,vendor=x');
  });

  it('two services in a chain decide alike for every trace; a lower ratio keeps a subset of a higher one', () => {
    const front = new ParentBasedSampler(new TraceIdRatioSampler(0.1));
    // The next service samples by ratio too, not by the parent's flag: it still agrees.
    const back = new TraceIdRatioSampler(0.1);
    const stricter = new TraceIdRatioSampler(0.05);
    let kept = 0;
    for (let i = 0; i < 20_000; i++) {
      const traceId = randomBytes(16).toString('hex');
      const a = decide(front, ROOT_CONTEXT, traceId);
      const sampled = a.decision === SamplingDecision.RECORD_AND_SAMPLED;
      const downstream = remoteParent(traceId, sampled, a.traceState?.serialize() || undefined);
      const b = decide(back, downstream, traceId);
      assert.equal(b.decision, a.decision, `trace ${traceId}`);
      if (decide(stricter, downstream, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED) assert.ok(sampled, 'subset');
      if (sampled) kept++;
    }
    // 20,000 draws at p = 0.1: the standard deviation is 42, so ±300 is over seven of them.
    assert.ok(Math.abs(kept - 2000) < 300, `kept ${kept} of 20,000`);
  });

  it('decides a trace id the tracer just made from its bytes exactly as from its digits, at every ratio', () => {
    const ratios = [0, 1e-9, 0.01, 0.1, 0.25, 0.5, 0.999, 1];
    const samplers = ratios.map((r) => new TraceIdRatioSampler(r));
    const parentBased = ratios.map((r) => new ParentBasedSampler(new TraceIdRatioSampler(r)));
    let fromBytes = 0;
    for (let i = 0; i < 20_000; i++) {
      const traceId = newTraceId();
      if (madeTraceIdAt(traceId) !== -1) fromBytes++;
      for (let r = 0; r < ratios.length; r++) {
        const byDigits = randomnessAtLeast(traceId, undefined, thresholdOf(ratios[r]!).hex);
        const expected = byDigits ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD;
        assert.equal(decide(samplers[r]!, ROOT_CONTEXT, traceId).decision, expected, `${traceId} at ${ratios[r]}`);
        assert.equal(decide(parentBased[r]!, ROOT_CONTEXT, traceId).decision, expected, `${traceId} at ${ratios[r]}, parent-based`);
      }
    }
    assert.equal(fromBytes, 20_000, 'every id just made is read from the pool');
    // Thresholds that share a trace id's leading bytes: the byte comparison goes past the first byte.
    for (let i = 0; i < 2_000; i++) {
      const traceId = newTraceId();
      const randomness = traceId.slice(18);
      for (const th of [randomness, randomness.slice(0, 13) + '0', randomness.slice(0, 6) + 'ffffffff']) {
        const sampler = new TraceIdRatioSampler(0.5);
        // The same sampler with another threshold: the ratio is only how the threshold is usually made.
        Object.assign(sampler, { threshold: { hex: th, th }, thresholdBytes: Uint8Array.from(Buffer.from(th, 'hex')) });
        const expected = randomness >= th ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD;
        assert.equal(decide(sampler, ROOT_CONTEXT, traceId).decision, expected, `${traceId} against ${th}`);
      }
    }
    // An id made earlier, or a copy of the last one, is read from its digits.
    const earlier = newTraceId();
    newSpanId();
    const last = newTraceId();
    assert.equal(madeTraceIdAt(earlier), -1);
    assert.notEqual(madeTraceIdAt(last), -1);
    assert.notEqual(madeTraceIdAt(`${last}`), -1, 'an equal string is the same id');
    assert.equal(madeTraceIdAt(`${last.slice(0, 31)}0`), last.endsWith('0') ? madeTraceIdAt(last) : -1);
  });

  it('a parent-based sampler keeps a remote parent’s valid threshold and erases one its context contradicts', () => {
    const sampler = new ParentBasedSampler(new TraceIdRatioSampler(0.1));
    const traceId = traceIdWith('10000000000000');
    const consistent = decide(sampler, remoteParent(traceId, true, 'ot=th:0;rv:f0000000000000'), traceId);
    assert.equal(consistent.decision, SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(consistent.traceState, undefined, 'a valid tracestate is left as it is (inherited)');
    const contradicted = decide(sampler, remoteParent(traceId, true, 'ot=th:f;foo:bar'), traceId);
    assert.equal(contradicted.decision, SamplingDecision.RECORD_AND_SAMPLED, 'the parent’s flag still decides');
    assert.equal(contradicted.traceState?.get('ot'), 'foo:bar', 'R 0x10… is below th:f: the threshold is erased');
    const unsampled = decide(sampler, remoteParent(traceId, false, 'ot=th:0'), traceId);
    assert.equal(unsampled.decision, SamplingDecision.NOT_RECORD);
    assert.equal(unsampled.traceState?.get('ot'), undefined, 'an unsampled context carries no threshold');
  });
});

describe('what a sampler reads', () => {
  it('Sightline’s own samplers read no span details; one of the app’s own, a subclass, or a parent-based one holding either may', () => {
    assert.equal(readsSpanDetails(new AlwaysOnSampler()), false);
    assert.equal(readsSpanDetails(new AlwaysOffSampler()), false);
    assert.equal(readsSpanDetails(new TraceIdRatioSampler(0.1)), false);
    assert.equal(readsSpanDetails(new ParentBasedSampler(new TraceIdRatioSampler(0.1))), false);
    const own: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'own' };
    assert.equal(readsSpanDetails(own), true);
    assert.equal(readsSpanDetails(new (class extends TraceIdRatioSampler {})(0.1)), true);
    assert.equal(readsSpanDetails(new ParentBasedSampler(own)), true);
    assert.equal(readsSpanDetails(new ParentBasedSampler(new AlwaysOnSampler(), own)), true);
    const provider = new SightlineTracerProvider(new ParentBasedSampler(new AlwaysOnSampler()), loadConfig({}).spanLimits, {
      onEnd: () => {},
    });
    assert.equal((provider.getTracer('t') as unknown as { readsStartAttributes: boolean }).readsStartAttributes, false);
    const tail = new SightlineTracerProvider(new AlwaysOffSampler(), loadConfig({}).spanLimits, { onEnd: () => {} }, true);
    assert.equal(
      (tail.getTracer('t') as unknown as { readsStartAttributes: boolean }).readsStartAttributes,
      true,
      'the tail sampler reads them',
    );
  });

  it('a sampler of the app’s own sees each request’s method and path, and drops by path', async () => {
    const receiver = await startHttpReceiver();
    try {
      const { code, stdout, stderr } = await runToExit([FIXTURES + 'url-sampler.mjs'], { RECEIVER: receiver.url });
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout.trim()), [
        { 'http.request.method': 'GET', 'url.path': '/health' },
        { 'http.request.method': 'GET', 'url.path': '/items/7' },
      ]);
      const servers = receiver.spans.filter((s) => s.kind === 2);
      assert.deepEqual(
        servers.map((s) => [s.attributes['url.path'], s.attributes['url.query'], s.attributes['http.request.method']]),
        [['/items/7', 'color=red', 'GET']],
      );
    } finally {
      await receiver.close();
    }
  });
});

describe('tail sampling in the process', () => {
  const limits = loadConfig({}, {}).spanLimits;
  const settings = (over: Partial<TailSamplingSettings> = {}): TailSamplingSettings => ({
    enabled: true,
    latencyMillis: 500,
    graceMillis: 1000,
    maxTraces: 100,
    maxSpans: 1000,
    maxKeptPerSecond: 100,
    attributes: [],
    ...over,
  });

  /** A tracer whose head sampler drops everything, a tail sampler on a clock the test moves, and what reaches the queue. */
  function setup(over: Partial<TailSamplingSettings> = {}, headRatio = 0) {
    let now = 0;
    const exported: RecordingSpan[] = [];
    const downstream = { onEnd: (span: RecordingSpan) => exported.push(span), offer: (span: RecordingSpan) => exported.push(span) };
    const tail = new TailSampler(settings(over), downstream, () => now, 0);
    const provider = new SightlineTracerProvider(new ParentBasedSampler(new TraceIdRatioSampler(headRatio)), limits, tail, true);
    const tracer = provider.getTracer('t');
    return { tail, tracer, exported, advance: (ms: number) => (now += ms) };
  }

  /** A local root with one child; the child fails when asked. */
  function request(tracer: ReturnType<typeof setup>['tracer'], { fail = false, durationMs = 10 } = {}) {
    const start = performance.now();
    const root = tracer.startSpan('GET /items/:id', { startTime: start });
    const child = tracer.startSpan('SELECT items', { startTime: start }, trace.setSpan(ROOT_CONTEXT, root));
    if (fail) child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end(start + 1);
    root.end(start + durationMs);
    return { root, child, traceId: root.spanContext().traceId };
  }

  it('keeps a failing trace whole, late spans included, and drops an ordinary one, late spans included', () => {
    const { tail, tracer, exported, advance } = setup();
    // Each request starts background work that is still running when the request ends.
    const start = performance.now();
    const failedRoot = tracer.startSpan('GET /items/:id', { startTime: start });
    const failedChild = tracer.startSpan('SELECT items', { startTime: start }, trace.setSpan(ROOT_CONTEXT, failedRoot));
    const lateKept = tracer.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, failedRoot));
    failedChild.setStatus({ code: SpanStatusCode.ERROR }).end();
    failedRoot.end();
    const ordinaryRoot = tracer.startSpan('GET /items/:id');
    const lateDropped = tracer.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, ordinaryRoot));
    ordinaryRoot.end();
    assert.equal(exported.length, 0, 'a trace with a span still open waits for the grace period');
    assert.equal(tail.pending, 2);
    advance(1000);
    tail.sweep();
    assert.deepEqual(exported.map((s) => s.name).sort(), ['GET /items/:id', 'SELECT items']);
    const failedTrace = failedRoot.spanContext().traceId;
    assert.ok(exported.every((s) => s.context.traceId === failedTrace && s.keptBy === 'error'));
    lateKept.end();
    lateDropped.end();
    assert.equal(exported.length, 3, 'the late span of the kept trace follows it');
    assert.equal(exported[2]!.name, 'background');
    assert.equal(exported[2]!.context.traceId, failedTrace, 'and none of the dropped trace’s');
    assert.deepEqual(
      { ...tail.stats },
      { tailTracesKept: 1, tailTracesDropped: 1, tailTracesDecidedEarly: 0, tailTracesRateLimited: 0, tailSpansBuffered: 0 },
    );
  });

  it('decides a trace as soon as its local root ends when nothing of it is still open, and keeps no trace of it waiting', () => {
    const { tail, tracer, exported, advance } = setup();
    request(tracer, { fail: true });
    request(tracer);
    assert.equal(tail.pending, 0, 'nothing held');
    assert.equal(exported.length, 2, 'the failing request, at once');
    for (let i = 0; i < 50_000; i++) request(tracer);
    assert.equal(tail.pending, 0);
    assert.equal(tail.stats.tailSpansBuffered, 0);
    // A span still running long after its request was decided follows the decision, however late.
    const root = tracer.startSpan('GET /slow-background');
    const late = tracer.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, root));
    root.setStatus({ code: SpanStatusCode.ERROR });
    root.end();
    advance(1000);
    tail.sweep();
    advance(10 * 60_000);
    tail.sweep();
    late.end();
    assert.deepEqual(
      exported.slice(2).map((s) => s.name),
      ['GET /slow-background', 'background'],
    );
  });

  it('decides each local root of a trace on its own, and keeps a later one of a kept trace whole', () => {
    const { tracer, exported } = setup();
    // A request queues a job that this process runs after the request ended: the job's span is a
    // second local root of the same trace, with the producer's context as its remote parent.
    const job = (producer: ReturnType<typeof request>, fail: boolean) => {
      const remote = trace.wrapSpanContext({ ...producer.root.spanContext(), isRemote: true });
      const span = tracer.startSpan('process jobs', {}, trace.setSpan(ROOT_CONTEXT, remote));
      if (fail) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      return span;
    };
    const keptRequest = request(tracer, { fail: true });
    job(keptRequest, false);
    assert.equal(exported.length, 3, 'the ordinary job of a kept request is kept with it');
    assert.ok(exported.every((s) => s.context.traceId === keptRequest.traceId && s.keptBy === 'error'));
    const droppedRequest = request(tracer);
    job(droppedRequest, false);
    assert.equal(exported.length, 3, 'an ordinary job of a dropped request is dropped');
    job(droppedRequest, true);
    assert.equal(exported.length, 4, 'a failing job is kept though its request was dropped');
    assert.equal(exported[3]!.context.traceId, droppedRequest.traceId);
  });

  it('keeps slow traces and traces matching an attribute rule; head-sampled spans pass straight through', () => {
    const { tail, tracer, exported, advance } = setup({ attributes: [['tenant', 'gold']] });
    request(tracer, { durationMs: 600 });
    const tagged = tracer.startSpan('job', { attributes: { tenant: 'gold' } });
    tagged.end();
    request(tracer, { durationMs: 100 });
    advance(1000);
    tail.sweep();
    assert.deepEqual(exported.map((s) => s.keptBy).sort(), ['attribute', 'latency', 'latency']);
    const head = setup({}, 1);
    request(head.tracer);
    assert.equal(head.exported.length, 2, 'sampled by the head: no wait');
    assert.ok(head.exported.every((s) => s.keptBy === undefined));
  });

  it('builds a held span’s export-only attributes only when its trace is kept, or for an attribute rule to read', () => {
    let built = 0;
    const span = (tracer: ReturnType<typeof setup>['tracer'], tenant: string, fail: boolean) => {
      const s = tracer.startSpan('GET /') as RecordingSpan;
      s.setExportAttributes(() => (built++, { tenant, 'client.address': '10.0.0.1' }));
      if (fail) s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
      return s;
    };
    const plain = setup();
    span(plain.tracer, 'silver', false);
    assert.equal(built, 0, 'a dropped trace never builds them');
    const failed = span(plain.tracer, 'silver', true);
    assert.equal(built, 1);
    assert.deepEqual(plain.exported, [failed]);
    assert.equal(failed.attributes['client.address'], '10.0.0.1', 'set although the span had ended');
    const ruled = setup({ attributes: [['tenant', 'gold']] });
    const gold = span(ruled.tracer, 'gold', false);
    span(ruled.tracer, 'silver', false);
    assert.deepEqual(ruled.exported, [gold]);
    assert.equal(gold.keptBy, 'attribute', 'a rule sees them');
    const sampled = setup({}, 1);
    const now = sampled.tracer.startSpan('GET /') as RecordingSpan;
    now.setExportAttributes(() => ({ 'client.address': '10.0.0.2' }));
    assert.equal(now.attributes['client.address'], '10.0.0.2', 'a sampled span gets them at once');
  });

  it('bounds what waits: past maxTraces the oldest trace is decided early; a rate limit caps kept traces', () => {
    const bounded = setup({ maxTraces: 2 });
    // Requests that leave background work running are held until the grace period is over.
    const held = (fail: boolean) => {
      const root = bounded.tracer.startSpan('GET /items/:id');
      bounded.tracer.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, root));
      if (fail) root.setStatus({ code: SpanStatusCode.ERROR });
      root.end();
      return root.spanContext();
    };
    const first = held(true);
    held(false);
    held(false);
    assert.equal(bounded.tail.stats.tailTracesDecidedEarly, 1);
    assert.equal(bounded.tail.pending, 2);
    assert.ok(
      bounded.exported.every((s) => s.context.traceId === first.traceId),
      'the oldest, failing trace was kept early',
    );
    const limited = setup({ maxKeptPerSecond: 1 });
    request(limited.tracer, { fail: true });
    request(limited.tracer, { fail: true });
    limited.advance(1000);
    limited.tail.sweep();
    assert.equal(limited.tail.stats.tailTracesKept, 1);
    assert.equal(limited.tail.stats.tailTracesRateLimited, 1);
  });

  it('a burst of 100,000 unsampled requests never holds more than maxSpans spans, and says what it decided early', () => {
    const { tail, tracer } = setup({ maxTraces: 50_000, maxSpans: 20_000 });
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      // Each leaves background work open, so each is held for the grace period.
      const root = tracer.startSpan('GET /items/:id');
      tracer.startSpan('background', {}, trace.setSpan(ROOT_CONTEXT, root));
      tracer.startSpan('SELECT items', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
      most = Math.max(most, tail.stats.tailSpansBuffered);
    }
    assert.ok(most <= 20_000, `at most ${most} spans held`);
    assert.ok(tail.pending <= 10_000, `${tail.pending} traces held`);
    assert.equal(tail.stats.tailTracesDecidedEarly, 100_000 - tail.pending, 'every trace decided before its grace period is counted');
  });

  it('exports a tail-kept span as sampled, with the reason', () => {
    const { tail, tracer, exported, advance } = setup();
    request(tracer, { fail: true });
    advance(1000);
    tail.flush();
    const [decoded] = decodeProtobuf(new OtlpProtobufEncoder({ 'service.name': 't' }).encode(exported.slice(0, 1)));
    assert.equal(decoded!.flags & 1, 1, 'sampled flag set');
    assert.equal(decoded!.attributes['sightline.sampling.kept_by'], 'error');
    assert.equal(decoded!.attributes['sightline.sampling.adjusted_count'], 1);
  });
});

describe('tail sampling in a running service', () => {
  /** The tail-sampling fixture, traces only, at the head-sampling ratio given, tail sampling on. */
  function startTailApp(receiver: Receiver, ratio: string, env: Record<string, string> = {}) {
    return startApp('tail-app.mjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'tail',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: ratio,
      SIGHTLINE_TAIL_SAMPLING: 'on',
      ...env,
    });
  }

  it('names the client of a request kept because its client went away, decided after the connection closed', async () => {
    const receiver = await startHttpReceiver();
    const app = await startTailApp(receiver, '0');
    try {
      // /r/101 answers after 300 ms; each client gives up first. The server span ends, as an error, when
      // the connection has closed, and only then does the tail sampler keep it and build its attributes.
      for (const n of [101, 201]) {
        const req = http.get({ host: '127.0.0.1', port: app.port, path: `/r/${n}`, agent: false });
        req.on('error', () => {});
        await new Promise((r) => setTimeout(r, 50));
        req.destroy();
      }
      const serverSpans = () => receiver.spans.filter((s) => s.kind === 2);
      await until(
        () => serverSpans().length >= 2,
        10_000,
        () => `two aborted server spans; have ${serverSpans().length}`,
      );
      for (const server of serverSpans()) {
        assert.equal(server.attributes['sightline.sampling.kept_by'], 'error');
        assert.equal(server.attributes['error.type'], 'aborted');
        assert.equal(server.attributes['client.address'], '127.0.0.1', `${String(server.attributes['url.path'])}: client.address`);
      }
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('10,000 requests at 10% head sampling: every failing and slow trace arrives whole, the rest at 10% ± 2%, no span twice', async () => {
    const receiver = await startHttpReceiver();
    const app = await startTailApp(receiver, '0.1', {
      SIGHTLINE_TAIL_LATENCY_MS: '200',
      SIGHTLINE_TAIL_GRACE_MS: '200',
      // The default (100 kept traces a second) would cap a test that runs as fast as the machine allows.
      SIGHTLINE_TAIL_MAX_KEPT_PER_SECOND: '100000',
    });
    try {
      const total = 10_000;
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < total) {
            const n = next++;
            await (await fetch(`http://127.0.0.1:${app.port}/r/${n}`)).text();
          }
        }),
      );
      app.child.kill('SIGTERM');
      await app.exited;
      const spans = receiver.spans;
      assert.deepEqual(duplicateSpanIds(spans), [], 'no span twice');
      const byTrace = new Map<string, typeof spans>();
      for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
      const servers = spans.filter((s) => s.kind === 2);
      const pathOf = (n: number) => `/r/${n}`;
      const arrived = new Map(servers.map((s) => [String(s.attributes['url.path']), s]));
      let others = 0;
      let othersKept = 0;
      for (let n = 0; n < total; n++) {
        const server = arrived.get(pathOf(n));
        const special = n % 50 === 0 ? 'error' : n % 100 === 1 ? 'latency' : undefined;
        if (special !== undefined) {
          assert.ok(server, `request ${n} (${special}) arrived`);
          assert.equal(byTrace.get(server.traceId)!.length, 2, `request ${n}: its whole trace`);
          if (server.flags & 1 && server.attributes['sightline.sampling.kept_by'] === undefined) continue; // head-sampled anyway
          assert.equal(server.attributes['sightline.sampling.kept_by'], special, `request ${n}: why`);
          // The attributes a held span builds only once its trace is kept are there.
          assert.equal(server.attributes['client.address'], '127.0.0.1', `request ${n}: client.address`);
          assert.equal(server.attributes['url.scheme'], 'http', `request ${n}: url.scheme`);
          assert.equal(server.attributes['server.port'], app.port, `request ${n}: server.port`);
        } else {
          others++;
          if (server !== undefined) {
            othersKept++;
            assert.equal(byTrace.get(server.traceId)!.length, 2, `request ${n}: whole`);
            assert.equal(server.attributes['sightline.sampling.kept_by'], undefined, 'kept by the head, not the tail');
          }
        }
      }
      const share = othersKept / others;
      assert.ok(Math.abs(share - 0.1) <= 0.02, `the other traces arrived at ${(share * 100).toFixed(1)}%`);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});

describe('tail sampling settings', () => {
  it('are off by default, read from SIGHTLINE_TAIL_*, and a bad value says what is used instead', () => {
    const defaults = loadConfig({}, {}).tailSampling;
    assert.deepEqual(defaults, {
      enabled: false,
      latencyMillis: 1000,
      graceMillis: 1000,
      maxTraces: 5000,
      maxSpans: 20_000,
      maxKeptPerSecond: 100,
      attributes: [],
    });
    const set = loadConfig(
      {},
      { SIGHTLINE_TAIL_SAMPLING: 'on', SIGHTLINE_TAIL_LATENCY_MS: '250', SIGHTLINE_TAIL_ATTRIBUTES: 'tenant=gold,http.route=/checkout' },
    ).tailSampling;
    assert.equal(set.enabled, true);
    assert.equal(set.latencyMillis, 250);
    assert.deepEqual(set.attributes, [
      ['tenant', 'gold'],
      ['http.route', '/checkout'],
    ]);
    const captured = captureLog();
    try {
      assert.equal(loadConfig({}, { SIGHTLINE_TAIL_SAMPLING: 'sometimes' }).tailSampling.enabled, false);
      assert.equal(loadConfig({}, { SIGHTLINE_TAIL_MAX_SPANS: '-3' }).tailSampling.maxSpans, 20_000);
    } finally {
      captured.restore();
    }
    assert.ok(
      captured.lines.some((l) => /SIGHTLINE_TAIL_SAMPLING="sometimes" is not one of on, off, true, false; using off/.test(l)),
      captured.lines.join('\n'),
    );
    assert.ok(captured.lines.some((l) => /SIGHTLINE_TAIL_MAX_SPANS="-3"/.test(l)));
  });
});
