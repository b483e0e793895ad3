// @datadog/pprof, loaded only when profiling is on: a maintained sampling profiler with prebuilt
// binaries for every supported Node line (no compile at install), whose wall profiler reads a context
// per sample from the async context frame (Node 24+, or 22 with --experimental-async-context-frame).
// It is an optional dependency: when it is missing or its binary does not load, profiling is off and
// everything else runs.
import { createRequire } from 'node:module';
import { pooledTimeProfiler } from './pooled-time-profiler.js';
import { DEFAULT_SAMPLE_CONTEXT_LIMITS } from './sample-contexts.js';

type Numeric = number | bigint;

/** One pprof profile as pprof-format's Profile: what the exporters encode. */
export interface PprofProfile {
  encode(): Uint8Array;
  stringTable: { strings: string[]; dedup(value: string): number };
  sampleType: Array<{ type: Numeric; unit: Numeric }>;
  sample: Array<{ locationId: Numeric[]; value: Numeric[]; label: Array<{ key: Numeric; str: Numeric }> }>;
  location: Array<{ id: Numeric; line: Array<{ functionId: Numeric; line: Numeric }> }>;
  function: Array<{ id: Numeric; name: Numeric; systemName: Numeric; filename: Numeric; startLine: Numeric }>;
  periodType?: { type: Numeric; unit: Numeric };
  period: Numeric;
}

export interface TimeProfileContext {
  context?: unknown;
  /** When the sample was taken: microseconds since the epoch (0 when not known). */
  timestamp?: bigint;
}

export type LabelSet = Record<string, string | number>;

export interface TimeProfiler {
  start(options: {
    intervalMicros: number;
    durationMillis: number;
    withContexts: boolean;
    useCPED: boolean;
    collectCpuTime: boolean;
    lineNumbers: boolean;
  }): void;
  stop(restart: boolean, generateLabels?: (args: { context?: TimeProfileContext }) => LabelSet): PprofProfile;
  /** Sightline hands it a small integer only (see sample-contexts.ts); @datadog/pprof takes any value. */
  setContext(context?: number): void;
  getContext(): unknown;
  getState(): Uint32Array;
  isStarted(): boolean;
  constants: { kSampleCount: number };
}

export interface PprofModule {
  time: TimeProfiler;
  /** Whether AsyncLocalStorage runs on AsyncContextFrame here: then each sample knows its async context. */
  contextPerAsyncFrame: boolean;
}

/** The module, or why it could not load. */
export function loadPprof(): { module: PprofModule } | { error: string } {
  try {
    const require = createRequire(import.meta.url);
    const pprof = require('@datadog/pprof') as { time: TimeProfiler };
    let contextPerAsyncFrame = false;
    try {
      const frames = require('@datadog/pprof/out/src/async-context-frame.js') as { isAsyncContextFrameActive(): boolean };
      contextPerAsyncFrame = frames.isAsyncContextFrameActive();
    } catch {
      contextPerAsyncFrame = false;
    }
    // The native profiler driven with reused holders where this package version allows it (see
    // pooled-time-profiler.ts); else its public API, which labels the same samples at more cost.
    const time = pooledTimeProfiler(require, DEFAULT_SAMPLE_CONTEXT_LIMITS.reused) ?? pprof.time;
    return { module: { time, contextPerAsyncFrame } };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0]! };
  }
}
