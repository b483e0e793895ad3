// Garbage-collection pauses for v8js.gc.duration, read from V8's GC profiler (`v8.GCProfiler`) in
// batches instead of from a PerformanceObserver. Node builds each 'gc' performance entry with four
// deprecated accessors, each made by util.deprecate(), whose Object.setPrototypeOf gives V8 a new
// prototype transition to record: measured with callgrind at ~44,000 instructions per collection, and
// ~4.3 KB promoted to the old generation at every scavenge of a Fastify app under load. Those survivors
// are what makes V8 grow the young generation (it grows once the bytes surviving scavenges add up to its
// size), so an observer alone took `hello`'s new space from 16 to 32 MB within two minutes.
//
// The profiler records each collection in C++ (its type and its cost in microseconds, beside heap
// statistics this module does not use) and hands the lot over as JSON when stopped. Batches are taken at
// each metric collection, so every pause that ended before a collection is in it, and by a timer in
// between so that one batch stays small (~4 KB of JSON per collection): every 10 s, or every second
// while collections come at more than 25 a second.
import v8 from 'node:v8';
import { log } from '../../diag/logger.js';

/** `gcType` as Node's GC profiler names it → `v8js.gc.type` (the values instrumentation-runtime-node uses). */
const GC_TYPES: Record<string, string> = {
  Scavenge: 'minor',
  MinorMarkSweep: 'minor',
  MarkSweepCompact: 'major',
  IncrementalMarking: 'incremental',
  ProcessWeakCallbacks: 'weakcb',
};

const QUIET_INTERVAL_MS = 10_000;
const BUSY_INTERVAL_MS = 1_000;
/** Collections per batch above which batches are taken every second (25 a second over 10 s). */
const BUSY_BATCH = 250;

interface GcStatistics {
  statistics?: Array<{ gcType?: string; cost?: number }>;
}

/** Called for each collection: its pause in seconds, and its `v8js.gc.type` (undefined when unknown). */
export type GcPauseSink = (seconds: number, type: string | undefined) => void;

export class GcPauses {
  private profiler: v8.GCProfiler | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sink: GcPauseSink) {}

  start(): void {
    if (this.profiler !== undefined) return;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.schedule(QUIET_INTERVAL_MS);
  }

  /**
   * Hands every pause recorded so far to the sink. The next profiler starts before the last one stops,
   * so a collection during the hand-over (the JSON parse allocates) is recorded by the new one.
   */
  drain(): void {
    const done = this.profiler;
    if (done === undefined) return;
    const next = new v8.GCProfiler();
    next.start();
    this.profiler = next;
    const count = this.report(done.stop() as GcStatistics | undefined);
    this.schedule(count > BUSY_BATCH ? BUSY_INTERVAL_MS : QUIET_INTERVAL_MS);
  }

  /** Reports what the profiler still holds and stops it. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const done = this.profiler;
    this.profiler = undefined;
    if (done !== undefined) this.report(done.stop() as GcStatistics | undefined);
  }

  private report(result: GcStatistics | undefined): number {
    const list = result?.statistics ?? [];
    for (const entry of list) {
      if (typeof entry.cost !== 'number') continue;
      this.sink(entry.cost / 1e6, entry.gcType === undefined ? undefined : GC_TYPES[entry.gcType]);
    }
    return list.length;
  }

  private schedule(delayMillis: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      try {
        this.drain();
      } catch (error) {
        // Never into the app: a timer callback that throws would end the process.
        log.warnOnce('gc-pauses', `could not read garbage-collection pauses; v8js.gc.duration misses some: ${(error as Error).message}`);
      }
    }, delayMillis);
    // Pauses are read when metrics are collected anyway; this timer must not keep the process alive.
    this.timer.unref();
  }
}
