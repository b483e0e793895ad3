// The numbers profile samples carry instead of their labels, and what each number stands for until
// the profile is collected.
//
// @datadog/pprof holds the context value of every label set through a strong V8 handle that is released
// only after the frame holding it has been collected, so an object handed to it survives at least one
// scavenge. One object per span made V8 copy ~1 MB per scavenge in `hello` at 100% and grow the young
// generation to 64 MB. A small integer is no heap object: nothing survives, and a sample's number is
// turned into its span's labels here, at collection.
//
// Which numbers must still resolve then: those of spans alive now (`live`), and of ended spans during
// whose life the profiler took a sample (`ended`). A span that ended with the sample count unchanged
// cannot have been sampled, and is forgotten at once: in a request served within one turn of the
// event loop, that is nearly every one.

import type { SpanSampleLabels } from './span-labels.js';

/** Numbers cycle below 2^30, so each stays a small integer in V8; 0 is never used. */
const ID_LIMIT = 0x3fff_ffff;

export interface SampleContextLimits {
  /** Spans entered and not yet ended: beyond this the oldest is forgotten (most likely a span never ended). */
  live: number;
  /** Ended spans waiting for the next collection: beyond this one is not kept, and its samples go unlabelled. */
  ended: number;
}

export const DEFAULT_SAMPLE_CONTEXT_LIMITS: SampleContextLimits = { live: 100_000, ended: 200_000 };

export class SampleContexts {
  private nextId = 1;
  private readonly live = new Map<number, SpanSampleLabels>();
  private ended = new Map<number, SpanSampleLabels>();
  /** Spans whose samples could not be labelled because a limit was reached. */
  forgotten = 0;

  constructor(private readonly limits: SampleContextLimits = DEFAULT_SAMPLE_CONTEXT_LIMITS) {}

  /** A number for a span being labelled for the first time. */
  nextNumber(): number {
    const id = this.nextId;
    this.nextId = id === ID_LIMIT ? 1 : id + 1;
    return id;
  }

  /** The span was entered for the first time: its samples resolve to these labels until it ends. */
  begin(labels: SpanSampleLabels): void {
    const live = this.live;
    if (live.size >= this.limits.live) {
      const oldest = live.keys().next().value as number;
      live.delete(oldest);
      this.forgotten++;
    }
    live.set(labels.id, labels);
  }

  /** The span ended; `sampled` when the profiler's sample count moved during its life. */
  end(labels: SpanSampleLabels, sampled: boolean): void {
    if (!this.live.delete(labels.id) || !sampled) return;
    if (this.ended.size >= this.limits.ended) {
      this.forgotten++;
      return;
    }
    this.ended.set(labels.id, labels);
  }

  /** The labels a sample's context stands for, if still known. */
  resolve(context: unknown): SpanSampleLabels | undefined {
    if (typeof context !== 'number') return undefined;
    return this.live.get(context) ?? this.ended.get(context);
  }

  /** A profile was collected: ended spans' samples are all in it. */
  collected(): void {
    if (this.ended.size > 0) this.ended = new Map();
  }

  /** Spans alive and ended-but-kept, for tests and diagnostics. */
  get sizes(): { live: number; ended: number } {
    return { live: this.live.size, ended: this.ended.size };
  }
}
