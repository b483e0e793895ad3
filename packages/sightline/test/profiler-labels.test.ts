// Which span a profile sample is charged to: the profiler's labels follow the context manager's
// contexts frame by frame. The profiler here is a stand-in that keeps its context the way
// @datadog/pprof's does with AsyncContextFrame (one value per async frame, copied into every frame
// entered from it), so the test sees what each sample would carry and how often the profiler is called.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '../src/context/async-local-storage-context-manager.js';
import { Profiler } from '../src/profiling/profiler.js';
import type { PprofModule, TimeProfiler } from '../src/profiling/pprof-module.js';
import { RootLabels, SpanSampleLabels } from '../src/profiling/span-labels.js';
import { SampleContexts } from '../src/profiling/sample-contexts.js';
import { inProcessProvider } from './support/in-process.js';

function frameProfiler() {
  const frames = new AsyncLocalStorage<unknown>();
  /** The profiler's state array: [0] is its sample count, which a test moves as a sample would. */
  const state = new Uint32Array(1);
  const calls: unknown[] = [];
  const time: TimeProfiler = {
    start() {},
    stop() {
      throw new Error('not collected in this test');
    },
    setContext(value) {
      calls.push(value);
      frames.enterWith(value);
    },
    getContext: () => frames.getStore(),
    getState: () => state,
    isStarted: () => true,
    constants: { kSampleCount: 0 },
  };
  const module: PprofModule = { time, contextPerAsyncFrame: true };
  const profiler = new Profiler(
    { enabled: true, endpoint: 'http://127.0.0.1:9/', otlpExport: false, exportIntervalMillis: 60_000, samplingIntervalMicros: 10_000 },
    { 'service.name': 'test' },
    undefined,
    () => ({ module }),
  );
  assert.equal(profiler.start(), true);
  const manager = new AsyncLocalStorageContextManager();
  manager.setEnterHook(profiler.onEnter);
  /** The labels a sample taken now would carry, as the profiler resolves its number at collection. */
  const sampleLabels = (): SpanSampleLabels | undefined => {
    const value = frames.getStore();
    if (value === undefined) return undefined;
    assert.equal(typeof value, 'number', 'the profiler is handed a small integer, never an object');
    const labels = profiler.contexts.resolve(value);
    assert.ok(labels !== undefined, `the number ${String(value)} resolves`);
    return labels;
  };
  return { profiler, manager, calls, sampleLabels, state };
}

const unsampled = trace.setSpan(
  ROOT_CONTEXT,
  trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE }),
);

describe('profile sample labels', () => {
  it('carry the span of the context running, none inside an unsampled context entered from a sampled one, and the caller’s again after it', () => {
    const { profiler, manager, calls, sampleLabels } = frameProfiler();
    const { provider } = inProcessProvider();
    const span = provider.getTracer('test').startSpan('request');
    try {
      manager.with(trace.setSpan(ROOT_CONTEXT, span), () => {
        assert.equal(sampleLabels()?.spanId, span.spanContext().spanId);
        manager.with(unsampled, () => {
          assert.equal(sampleLabels(), undefined, 'the sampled parent’s labels do not carry over');
        });
        assert.equal(sampleLabels()?.spanId, span.spanContext().spanId, 'and are back once it is left');
        manager.with(trace.setSpan(ROOT_CONTEXT, span).setValue(Symbol('a value'), 1), () => {
          assert.equal(sampleLabels()?.spanId, span.spanContext().spanId);
        });
      });
      assert.equal(sampleLabels(), undefined, 'nothing is charged to the span once its context is left');
      assert.equal(calls.length, 4, 'labelled, cleared, labelled again, cleared; a context with the same span needs no call');
    } finally {
      span.end();
      profiler.stopSync();
    }
  });

  it('cost no call into the profiler for an unsampled context entered where no span was', () => {
    const { profiler, manager, calls, sampleLabels } = frameProfiler();
    try {
      manager.with(unsampled, () => {
        assert.equal(sampleLabels(), undefined);
        // As the HTTP server instrumentation enters a request's context, from its connection's frame.
        manager.with(ROOT_CONTEXT, () => manager.enterWith(unsampled));
      });
      assert.deepEqual(calls, [], 'nothing was labelled, so nothing needed clearing');
    } finally {
      profiler.stopSync();
    }
  });

  it('resolve at collection for spans alive, and for ended spans only when a sample was taken during their life', () => {
    const { profiler, manager, state } = frameProfiler();
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('test');
    // As ProfiledSpanSink does in the SDK.
    const end = (span: ReturnType<typeof tracer.startSpan>) => {
      span.end();
      profiler.onSpanEnd(ended.at(-1)!);
    };
    const number = (span: ReturnType<typeof tracer.startSpan>) =>
      manager.with(trace.setSpan(ROOT_CONTEXT, span), () => (span as unknown as { profileLabels: SpanSampleLabels }).profileLabels.id);
    try {
      const quiet = tracer.startSpan('quiet');
      const busy = tracer.startSpan('busy');
      const running = tracer.startSpan('running');
      const [quietId, busyId, runningId] = [number(quiet), number(busy), number(running)];
      end(quiet);
      assert.equal(profiler.contexts.resolve(quietId), undefined, 'no sample during its life: nothing can carry its number');
      state[0]! += 1; // a sample
      end(busy);
      assert.equal(profiler.contexts.resolve(busyId)?.spanId, busy.spanContext().spanId, 'sampled during its life: kept');
      assert.equal(profiler.contexts.resolve(runningId)?.spanId, running.spanContext().spanId, 'alive: resolves');
      assert.deepEqual(profiler.contexts.sizes, { live: 1, ended: 1 });
      profiler.contexts.collected();
      assert.equal(profiler.contexts.resolve(busyId), undefined, 'its samples went into the collected profile');
      assert.equal(profiler.contexts.resolve(runningId)?.spanId, running.spanContext().spanId, 'still alive after a collection');
      end(running);
      assert.deepEqual(profiler.contexts.sizes, { live: 0, ended: 1 }, 'a sample was taken in its life, before the collection');
    } finally {
      profiler.stopSync();
    }
  });
});

describe('sample contexts', () => {
  const labels = (contexts: SampleContexts, spanId: string, startMillis = 0) =>
    new SpanSampleLabels(
      contexts.nextNumber(),
      spanId,
      new RootLabels(spanId, '0af7651916cd43dd8448eb211c80319c', 'GET /'),
      0,
      startMillis,
    );

  it('reuse a number no live span holds, give a span its own when those nearby are all held, and count each span they could not keep', () => {
    const contexts = new SampleContexts({ reused: 4, own: 1, ended: 1 });
    const [a, b, c] = [labels(contexts, 'a'), labels(contexts, 'b'), labels(contexts, 'c')];
    for (const each of [a, b, c]) contexts.begin(each);
    assert.deepEqual([a.id, b.id, c.id], [1, 2, 3], 'the reused numbers, 1 to reused - 1');
    const d = labels(contexts, 'd');
    assert.ok(d.id >= 4, 'every reused number is held: a number of its own');
    contexts.begin(d);
    const e = labels(contexts, 'e');
    assert.notEqual(e.id, d.id);
    contexts.begin(e);
    assert.equal(contexts.resolve(d.id), undefined, 'the oldest with a number of its own, most likely never ended, made room');
    assert.equal(contexts.forgotten, 1);
    for (const each of [a, b, c, e]) assert.equal(contexts.resolve(each.id)?.spanId, each.spanId);
    contexts.end(b, true);
    contexts.end(c, true);
    assert.equal(contexts.resolve(b.id)?.spanId, 'b');
    assert.equal(contexts.resolve(c.id), undefined, 'no room left among ended spans');
    assert.equal(contexts.forgotten, 2);
    contexts.end(a, false);
    assert.equal(contexts.resolve(a.id), undefined, 'not sampled during its life: forgotten at its end');
    assert.equal(contexts.resolve('b'), undefined, 'only numbers are contexts');
    assert.deepEqual(contexts.sizes, { live: 1, ended: 1 });
    assert.deepEqual(
      [contexts.nextNumber(), contexts.nextNumber(), contexts.nextNumber()].sort(),
      [1, 2, 3],
      'numbers freed by their spans’ ends are taken again',
    );
  });

  it('charge a sample to the span that held its number when it was taken, never to a later or earlier holder', () => {
    const contexts = new SampleContexts({ reused: 2, own: 10, ended: 10 });
    const first = labels(contexts, 'first', 100);
    contexts.begin(first);
    first.endMillis = 110;
    contexts.end(first, true);
    const second = labels(contexts, 'second', 120);
    assert.equal(second.id, first.id, 'the same number, reused');
    contexts.begin(second);
    assert.equal(contexts.resolve(first.id, 105)?.spanId, 'first');
    assert.equal(contexts.resolve(first.id, 125)?.spanId, 'second');
    assert.equal(contexts.resolve(first.id, 115), undefined, 'between the two: code left running in the first’s frame after its end');
    assert.equal(contexts.resolve(first.id, 119)?.spanId, 'second', 'within the clocks’ tolerance of its start');
    assert.equal(contexts.resolve(first.id)?.spanId, 'second', 'without a time: the live holder');
    second.endMillis = 130;
    contexts.end(second, false);
    assert.equal(contexts.resolve(first.id, 125), undefined, 'the second ended without a sample in its life');
    assert.equal(contexts.resolve(first.id, 105)?.spanId, 'first');
    const third = labels(contexts, 'third', 140);
    contexts.begin(third);
    third.endMillis = 150;
    contexts.end(third, true);
    assert.equal(contexts.resolve(first.id, 145)?.spanId, 'third', 'several ended holders of one number');
    assert.equal(contexts.resolve(first.id, 108)?.spanId, 'first');
    contexts.collected();
    assert.equal(contexts.resolve(first.id, 105), undefined, 'its samples went into the collected profile');
    assert.deepEqual(contexts.sizes, { live: 0, ended: 0 });
  });

  it('number spans with small integers, never 0', () => {
    const contexts = new SampleContexts();
    const first = contexts.nextNumber();
    assert.ok(first > 0 && Number.isInteger(first) && first < 2 ** 30);
    assert.equal(contexts.nextNumber(), first + 1);
  });
});
