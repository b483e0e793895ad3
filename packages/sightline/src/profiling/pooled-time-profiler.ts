// @datadog/pprof's wall profiler driven through its native class, so that what it finds in an async
// frame can be made once and entered many times.
//
// Its public setContext() makes a new holder on every call: a JavaScript object with an internal
// field, a C++ record owned by a weak handle, and a second handle on the value, which V8 creates,
// traces at every scavenge and releases per labelled request. In `hello` at 100% that was ~2 µs of the
// ~4 µs per request profiling cost (bench/README.md, 2026-12-04). Here each label number below
// `reusedBelow` has one holder, made the first time it is entered and kept, and a holder is entered
// with an AsyncLocalStorage of this module's own, which the profiler is given as the key it reads in
// each sample's async frame. Numbers from `reusedBelow` up get a holder of their own per call, as
// setContext() would (SampleContexts hands those out only when the reused numbers are all taken).
//
// This reaches into the package's own modules (its native binding and its profile serializer): if
// they are not as expected, the caller falls back to the public API, which labels the same samples.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import type { LabelSet, PprofProfile, TimeProfileContext, TimeProfiler } from './pprof-module.js';

/** The native WallProfiler, as @datadog/pprof 5.x builds it. */
interface NativeWallProfiler {
  start(): void;
  stop(restart: boolean): unknown;
  dispose(): void;
  readonly state: Uint32Array;
  createContextHolder(value: unknown): object;
  v8ProfilerStuckEventLoopDetected(): number;
}

interface Bindings {
  TimeProfiler: new (options: Record<string, unknown>) => NativeWallProfiler;
  constants: { kSampleCount: number };
}

type SerializeTimeProfile = (
  profile: unknown,
  intervalMicros: number,
  sourceMapper: undefined,
  recomputeSamplingInterval: boolean,
  generateLabels?: (args: { context?: TimeProfileContext }) => LabelSet,
) => PprofProfile;

/** The profiler, or undefined when the package's internals are not what this expects. */
export function pooledTimeProfiler(require: (id: string) => unknown, reusedBelow: number): TimeProfiler | undefined {
  let bindings: Bindings;
  let serialize: SerializeTimeProfile;
  try {
    bindings = require('@datadog/pprof/out/src/time-profiler-bindings.js') as Bindings;
    serialize = (require('@datadog/pprof/out/src/profile-serializer.js') as { serializeTimeProfile: SerializeTimeProfile })
      .serializeTimeProfile;
  } catch {
    return undefined;
  }
  const proto = bindings?.TimeProfiler?.prototype as Partial<NativeWallProfiler> | undefined;
  if (
    typeof proto?.createContextHolder !== 'function' ||
    typeof proto.start !== 'function' ||
    typeof proto.stop !== 'function' ||
    typeof proto.dispose !== 'function' ||
    typeof bindings.constants?.kSampleCount !== 'number' ||
    typeof serialize !== 'function'
  )
    return undefined;
  return new PooledTimeProfiler(bindings, serialize, reusedBelow);
}

export class PooledTimeProfiler implements TimeProfiler {
  readonly constants: { kSampleCount: number };
  private native: NativeWallProfiler | undefined;
  private store: AsyncLocalStorage<object | undefined> | undefined;
  private holders: (object | undefined)[] = [];
  private intervalMicros = 0;
  /** Holders made since start: one per reused number entered, one per call for the others. */
  holdersMade = 0;

  constructor(
    private readonly bindings: Bindings,
    private readonly serialize: SerializeTimeProfile,
    private readonly reusedBelow: number,
  ) {
    this.constants = { kSampleCount: bindings.constants.kSampleCount };
  }

  start(options: Parameters<TimeProfiler['start']>[0]): void {
    if (this.native !== undefined) throw new Error('the wall profiler is already started');
    // The key the profiler looks up in each sample's async frame: an AsyncLocalStorage, so that
    // entering a holder is an ordinary enterWith().
    const store = options.useCPED ? new AsyncLocalStorage<object | undefined>() : undefined;
    const native = new this.bindings.TimeProfiler({
      intervalMicros: options.intervalMicros,
      durationMillis: options.durationMillis,
      lineNumbers: options.lineNumbers,
      withContexts: options.withContexts,
      workaroundV8Bug: true,
      collectCpuTime: options.collectCpuTime,
      collectAsyncId: false,
      useCPED: options.useCPED,
      CPEDKey: store,
      isMainThread,
    });
    native.start();
    this.native = native;
    this.store = store;
    this.intervalMicros = options.intervalMicros;
    this.holdersMade = 0;
  }

  stop(restart: boolean, generateLabels?: (args: { context?: TimeProfileContext }) => LabelSet): PprofProfile {
    const native = this.native;
    if (native === undefined) throw new Error('the wall profiler is not started');
    const profile = native.stop(restart);
    if (restart) {
      // As @datadog/pprof does: V8's profiler thread can get stuck in a loop that leaves profiles
      // empty; a full stop and start resets it.
      if (native.v8ProfilerStuckEventLoopDetected() > 0) {
        native.stop(false);
        native.start();
      }
    } else {
      this.dispose();
    }
    return this.serialize(profile, this.intervalMicros, undefined, true, generateLabels);
  }

  private dispose(): void {
    this.native?.dispose();
    this.native = undefined;
    this.store?.disable();
    this.store = undefined;
    // Holders belong to the profiler that made them.
    this.holders = [];
  }

  setContext(value?: number): void {
    const store = this.store;
    const native = this.native;
    if (store === undefined || native === undefined) return;
    if (value === undefined) {
      store.enterWith(undefined);
      return;
    }
    if (value >= this.reusedBelow || value < 0) {
      this.holdersMade++;
      store.enterWith(native.createContextHolder(value));
      return;
    }
    let holder = this.holders[value];
    if (holder === undefined) {
      this.holdersMade++;
      this.holders[value] = holder = native.createContextHolder(value);
    }
    store.enterWith(holder);
  }

  getContext(): unknown {
    // A holder carries its value as element 0 for readers in JavaScript (see @datadog/pprof's wall.cc).
    return (this.store?.getStore() as { 0?: unknown } | undefined)?.[0];
  }

  getState(): Uint32Array {
    const native = this.native;
    if (native === undefined) throw new Error('the wall profiler is not started');
    return native.state;
  }

  isStarted(): boolean {
    return this.native !== undefined;
  }
}
