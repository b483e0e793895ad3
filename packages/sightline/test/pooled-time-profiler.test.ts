// @datadog/pprof's wall profiler driven with reused holders (profiling/pooled-time-profiler.ts): the
// package's internals it relies on are there, each reused number costs one holder however often it is
// entered, and samples carry the number entered and a time on the clock spans are timed with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPprof } from '../src/profiling/pprof-module.js';
import { PooledTimeProfiler } from '../src/profiling/pooled-time-profiler.js';
import type { TimeProfileContext } from '../src/profiling/pprof-module.js';
import { Profiler } from '../src/profiling/profiler.js';
import { log } from '../src/diag/logger.js';

const loaded = loadPprof();
const frames = 'module' in loaded && loaded.module.contextPerAsyncFrame;

describe('the pooled wall profiler', () => {
  it('is what profiling runs on with this @datadog/pprof (else it falls back to the public API, at more cost per request)', () => {
    assert.ok('module' in loaded, 'error' in loaded ? loaded.error : '');
    assert.ok(loaded.module.time instanceof PooledTimeProfiler);
  });

  it(
    'makes one holder per reused number, one per call above them, and labels samples with the number and their time',
    {
      skip: frames
        ? false
        : 'AsyncLocalStorage runs without AsyncContextFrame on this Node (22 without --experimental-async-context-frame)',
    },
    () => {
      assert.ok('module' in loaded);
      const time = loaded.module.time as PooledTimeProfiler;
      time.start({
        intervalMicros: 1000,
        durationMillis: 60_000,
        withContexts: true,
        useCPED: true,
        collectCpuTime: true,
        lineNumbers: false,
      });
      try {
        for (let i = 0; i < 1000; i++) time.setContext((i % 4) + 1);
        assert.equal(time.holdersMade, 4);
        time.setContext(9000);
        time.setContext(9000);
        assert.equal(time.holdersMade, 6, 'above the reused numbers, as the public setContext() does');
        time.setContext(3);
        assert.equal(time.getContext(), 3);
        const from = performance.now();
        // Busy until the profiler has taken samples in this frame (it counts them; no clock involved).
        const state = time.getState();
        const index = time.constants.kSampleCount;
        const before = state[index]!;
        let spin = 0;
        const giveUp = Date.now() + 30_000; // only so that a profiler that never samples fails the test instead of hanging it
        while (state[index]! < before + 20 && Date.now() < giveUp) spin++;
        assert.ok(state[index]! >= before + 20, 'the profiler took samples');
        const until = performance.now();
        time.setContext(undefined);
        assert.equal(time.getContext(), undefined);
        assert.ok(spin > 0);
        const seen: Array<{ context: unknown; at: number }> = [];
        const profile = time.stop(false, ({ context }: { context?: TimeProfileContext }) => {
          if (context?.context !== undefined)
            seen.push({ context: context.context, at: Number(context.timestamp) / 1000 - performance.timeOrigin });
          return {};
        });
        assert.ok(profile.encode().length > 0);
        const mine = seen.filter((s) => s.context === 3);
        assert.ok(mine.length > 0, `samples labelled 3 (seen: ${JSON.stringify(seen.slice(0, 5))})`);
        for (const sample of mine)
          assert.ok(sample.at >= from - 5 && sample.at <= until + 5, `sample at ${sample.at}, busy ${from}–${until}`);
      } finally {
        if (time.isStarted()) time.stop(false);
      }
      assert.equal(time.isStarted(), false);
    },
  );

  it('profiles the whole process, unlabelled, where AsyncLocalStorage has no AsyncContextFrame (Node 22 without the flag)', () => {
    assert.ok('module' in loaded);
    const warnings: string[] = [];
    log.setSink((line) => warnings.push(line));
    const profiler = new Profiler(
      { enabled: true, endpoint: 'http://127.0.0.1:9/', otlpExport: false, exportIntervalMillis: 60_000, samplingIntervalMicros: 10_000 },
      { 'service.name': 'test' },
      undefined,
      () => ({ module: { ...loaded.module, contextPerAsyncFrame: false } }),
    );
    try {
      assert.equal(profiler.start(), true, warnings.join('\n'));
      assert.ok(profiler.collect(false)?.profile.encode(), 'a profile');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /profiling without span labels/);
    } finally {
      profiler.stopSync();
      log.setSink((line) => process.stderr.write(line + '\n'));
    }
  });
});
