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
import { SpanSampleLabels } from '../src/profiling/span-labels.js';
import { inProcessProvider } from './support/in-process.js';

function frameProfiler() {
  const frames = new AsyncLocalStorage<unknown>();
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
    getState: () => new Uint32Array(1),
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
  /** The labels a sample taken now would carry. */
  const sampleLabels = () => frames.getStore() as SpanSampleLabels | undefined;
  return { profiler, manager, calls, sampleLabels };
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
});
