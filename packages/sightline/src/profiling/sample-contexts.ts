// The numbers profile samples carry instead of their labels, and what each number stands for until
// the profile is collected.
//
// @datadog/pprof holds the context value of every label set through a strong V8 handle that is released
// only after the frame holding it has been collected, so an object handed to it survives at least one
// scavenge. One object per span made V8 copy ~1 MB per scavenge in `hello` at 100% and grow the young
// generation to 64 MB. A small integer is no heap object: nothing survives, and a sample's number is
// turned into its span's labels here, at collection.
//
// Which numbers must still resolve then: those of spans alive now, and of ended spans during whose
// life the profiler took a sample (`ended`). A span that ended with the sample count unchanged
// cannot have been sampled, and is forgotten at once: in a request served within one turn of the
// event loop, that is nearly every one.

import type { SpanSampleLabels } from './span-labels.js';

/** Numbers cycle below 2^30, so each stays a small integer in V8; 0 is never used. */
const ID_LIMIT = 0x3fff_ffff;

export interface SampleContextLimits {
  /**
   * Slots for spans alive, indexed by the low bits of their number (a power of two). A span still alive
   * when its slot comes round again moves to `longLived`.
   */
  slots: number;
  /** Spans alive across a whole round of slots (slow requests, or spans never ended): the oldest is forgotten beyond this. */
  longLived: number;
  /** Ended spans waiting for the next collection: beyond this one is not kept, and its samples go unlabelled. */
  ended: number;
}

export const DEFAULT_SAMPLE_CONTEXT_LIMITS: SampleContextLimits = { slots: 65_536, longLived: 100_000, ended: 200_000 };

/**
 * Spans alive live in a fixed array of slots rather than a Map: a Map that lives long is in V8's old
 * generation, and a Map with an entry added and deleted per request rehashes into a new old-generation
 * table every few requests, which in `hello` made V8 run a full collection every 1.5 s. Storing into
 * and clearing a slot allocates nothing.
 */
export class SampleContexts {
  private nextId = 1;
  private readonly mask: number;
  private readonly slots: (SpanSampleLabels | undefined)[];
  private readonly longLived = new Map<number, SpanSampleLabels>();
  private ended = new Map<number, SpanSampleLabels>();
  /** Spans whose samples could not be labelled because a limit was reached. */
  forgotten = 0;

  constructor(private readonly limits: SampleContextLimits = DEFAULT_SAMPLE_CONTEXT_LIMITS) {
    if (!Number.isInteger(Math.log2(limits.slots))) throw new RangeError(`slots must be a power of two, not ${limits.slots}`);
    this.mask = limits.slots - 1;
    this.slots = new Array<SpanSampleLabels | undefined>(limits.slots).fill(undefined);
  }

  /** A number for a span being labelled for the first time. */
  nextNumber(): number {
    const id = this.nextId;
    this.nextId = id === ID_LIMIT ? 1 : id + 1;
    return id;
  }

  /** The span was entered for the first time: its samples resolve to these labels until it ends. */
  begin(labels: SpanSampleLabels): void {
    const slot = labels.id & this.mask;
    const previous = this.slots[slot];
    // A slot is cleared when its span ends: one still held is a span alive for a whole round.
    if (previous !== undefined) this.keepLongLived(previous);
    this.slots[slot] = labels;
  }

  private keepLongLived(labels: SpanSampleLabels): void {
    const longLived = this.longLived;
    if (longLived.size >= this.limits.longLived) {
      const oldest = longLived.keys().next().value as number;
      longLived.delete(oldest);
      this.forgotten++;
    }
    longLived.set(labels.id, labels);
  }

  /** The span ended; `sampled` when the profiler's sample count moved during its life. */
  end(labels: SpanSampleLabels, sampled: boolean): void {
    const slot = labels.id & this.mask;
    if (this.slots[slot] === labels) this.slots[slot] = undefined;
    else if (!this.longLived.delete(labels.id)) return; // forgotten already, or ended twice
    if (!sampled) return;
    if (this.ended.size >= this.limits.ended) {
      this.forgotten++;
      return;
    }
    this.ended.set(labels.id, labels);
  }

  /** The labels a sample's context stands for, if still known. */
  resolve(context: unknown): SpanSampleLabels | undefined {
    if (typeof context !== 'number') return undefined;
    const labels = this.slots[context & this.mask];
    if (labels !== undefined && labels.id === context) return labels;
    return this.longLived.get(context) ?? this.ended.get(context);
  }

  /** A profile was collected: ended spans' samples are all in it. */
  collected(): void {
    if (this.ended.size > 0) this.ended = new Map();
  }

  /** Spans alive and ended-but-kept, for tests and diagnostics (walks every slot). */
  get sizes(): { live: number; ended: number } {
    let live = this.longLived.size;
    for (const labels of this.slots) if (labels !== undefined) live++;
    return { live, ended: this.ended.size };
  }
}
