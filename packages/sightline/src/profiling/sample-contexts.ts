// The numbers profile samples carry instead of their labels, and what each number stands for until
// the profile is collected.
//
// @datadog/pprof holds the context value of every label set through a strong V8 handle that is released
// only after the frame holding it has been collected, so an object handed to it survives at least one
// scavenge. One object per span made V8 copy ~1 MB per scavenge in `hello` at 100% and grow the young
// generation to 64 MB. A small integer is no heap object: nothing survives, and a sample's number is
// turned into its span's labels here, at collection.
//
// Numbers are reused from span to span: each number below `reused` has one profiler holder, made once
// (pooled-time-profiler.ts), where a number per span cost a new holder per request. So a number alone
// does not say which span a sample was taken in; the number and the sample's time do. A span holds its
// number from its first entry to its end, and no two live spans hold the same one, so a sample resolves
// to the span that held its number at the time it was taken: the live holder, or an ended one whose
// life covers the sample. Only when every reused number a few places on is held (that many spans
// alive at once) does a span get a number of its own, above `reused`.
//
// Which ended spans must still resolve at collection: those during whose life the profiler took a
// sample (`ended`). A span that ended with the sample count unchanged cannot have been sampled, and is
// forgotten at once: in a request served within one turn of the event loop, that is nearly every one.
//
// What reuse gives up: code that still runs in a span's async frame after the span ended (work a
// request left behind, a timer it set) carries the span's number. A sample taken there while a later
// span holds that number is charged to that span. With 8,191 reused numbers that takes the number's
// next holder being alive at that moment: about (spans alive at once) / 8,191 of such samples.

import { SpanSampleLabels, type RootLabels } from './span-labels.js';

/** Numbers cycle below 2^30, so each stays a small integer in V8; 0 is never used. */
const ID_LIMIT = 0x3fff_ffff;
/** How many reused numbers a new span looks at before taking one of its own. */
const PROBES = 8;
/**
 * How far a sample's time may fall outside a span's life and still be charged to it: the sample's
 * clock (V8's, turned into wall time by @datadog/pprof) and the span's (performance.now()) are read apart.
 */
const CLOCK_TOLERANCE_MILLIS = 2;

export interface SampleContextLimits {
  /** Numbers 1 to `reused` - 1 are reused from span to span; the profiler makes one holder for each. */
  reused: number;
  /** Spans alive with a number of their own (every reused number nearby was held): the oldest is forgotten beyond this. */
  own: number;
  /** Ended spans waiting for the next collection: beyond this one is not kept, and its samples go unlabelled. */
  ended: number;
}

export const DEFAULT_SAMPLE_CONTEXT_LIMITS: SampleContextLimits = { reused: 8192, own: 100_000, ended: 200_000 };

/**
 * Spans alive with a reused number live in a fixed array rather than a Map: a Map that lives long is in
 * V8's old generation, and a Map with an entry added and deleted per request rehashes into a new
 * old-generation table every few requests, which in `hello` made V8 run a full collection every 1.5 s.
 * Storing into and clearing a slot allocates nothing.
 */
export class SampleContexts {
  private cursor = 1;
  private nextOwn: number;
  private readonly live: (SpanSampleLabels | undefined)[];
  private readonly own = new Map<number, SpanSampleLabels>();
  // Ended spans kept for the next collection, in parallel arrays rather than an object each. In
  // `realistic` most spans outlive the 10 ms between samples and are kept: a build that kept none read
  // ~20 µs less CPU per request there (it also skipped the profile-id attribute), and these arrays
  // read ~8% less CPU per request than a labels object and a Map entry per span (bench/README.md,
  // 2026-12-04). Entry i holds one span; entries of one number are chained newest
  // first from `endedHead` (reused numbers) or `endedOwnHead` (numbers of their own).
  private endedCount = 0;
  private endedStart = new Float64Array(0);
  private endedEnd = new Float64Array(0);
  private endedNext = new Int32Array(0);
  private endedSpanId: string[] = [];
  private endedRoot: RootLabels[] = [];
  private readonly endedHead: Int32Array;
  private readonly endedOwnHead = new Map<number, number>();
  /** Spans whose samples could not be labelled because a limit was reached. */
  forgotten = 0;

  constructor(private readonly limits: SampleContextLimits = DEFAULT_SAMPLE_CONTEXT_LIMITS) {
    if (!(Number.isInteger(limits.reused) && limits.reused >= 2))
      throw new RangeError(`reused must be an integer of 2 or more, not ${limits.reused}`);
    this.live = new Array<SpanSampleLabels | undefined>(limits.reused).fill(undefined);
    this.endedHead = new Int32Array(limits.reused).fill(-1);
    this.nextOwn = limits.reused;
  }

  /** A number for a span being labelled for the first time: a reused one that no live span holds, else one of its own. */
  nextNumber(): number {
    const live = this.live;
    const last = this.limits.reused - 1;
    let n = this.cursor;
    for (let probe = 0; probe < PROBES; probe++) {
      const next = n === last ? 1 : n + 1;
      if (live[n] === undefined) {
        this.cursor = next;
        return n;
      }
      n = next;
    }
    this.cursor = n;
    const own = this.nextOwn;
    this.nextOwn = own === ID_LIMIT ? this.limits.reused : own + 1;
    return own;
  }

  /** The span was entered for the first time: its samples resolve to these labels until it ends. */
  begin(labels: SpanSampleLabels): void {
    const id = labels.id;
    if (id < this.limits.reused) {
      this.live[id] = labels;
      return;
    }
    const own = this.own;
    if (own.size >= this.limits.own) {
      const oldest = own.keys().next().value as number;
      own.delete(oldest);
      this.forgotten++;
    }
    own.set(id, labels);
  }

  /** The span ended; `sampled` when the profiler's sample count moved during its life. */
  end(labels: SpanSampleLabels, sampled: boolean): void {
    const id = labels.id;
    if (id < this.limits.reused) {
      if (this.live[id] !== labels) return; // ended twice
      this.live[id] = undefined;
    } else if (!this.own.delete(id)) {
      return; // forgotten already, or ended twice
    }
    if (!sampled) return;
    if (this.endedCount >= this.limits.ended) {
      this.forgotten++;
      return;
    }
    const i = this.endedCount++;
    if (i === this.endedStart.length) this.growEnded();
    this.endedStart[i] = labels.startMillis;
    this.endedEnd[i] = labels.endMillis;
    this.endedSpanId.push(labels.spanId);
    this.endedRoot.push(labels.root);
    if (id < this.limits.reused) {
      this.endedNext[i] = this.endedHead[id]!;
      this.endedHead[id] = i;
    } else {
      this.endedNext[i] = this.endedOwnHead.get(id) ?? -1;
      this.endedOwnHead.set(id, i);
    }
  }

  private growEnded(): void {
    const capacity = Math.min(Math.max(1024, this.endedStart.length * 2), this.limits.ended);
    const grow = <T extends Float64Array | Int32Array>(from: T, to: T): T => (to.set(from), to);
    this.endedStart = grow(this.endedStart, new Float64Array(capacity));
    this.endedEnd = grow(this.endedEnd, new Float64Array(capacity));
    this.endedNext = grow(this.endedNext, new Int32Array(capacity));
  }

  /** Entry i's span, as labels (made at collection, for the few entries a sample names). */
  private endedLabels(id: number, i: number): SpanSampleLabels {
    const labels = new SpanSampleLabels(id, this.endedSpanId[i]!, this.endedRoot[i]!, 0, this.endedStart[i]!);
    labels.endMillis = this.endedEnd[i]!;
    return labels;
  }

  /**
   * The labels a sample's context stands for, if still known. `atMillis` is when the sample was taken
   * (milliseconds since performance.timeOrigin); without it, the span that holds the number now, or
   * else the last that held it.
   */
  resolve(context: unknown, atMillis?: number): SpanSampleLabels | undefined {
    if (typeof context !== 'number') return undefined;
    const live = context < this.limits.reused ? this.live[context] : this.own.get(context);
    if (live !== undefined && (atMillis === undefined || atMillis >= live.startMillis)) return live;
    let i = context < this.limits.reused ? this.endedHead[context]! : (this.endedOwnHead.get(context) ?? -1);
    if (atMillis === undefined) return i >= 0 ? this.endedLabels(context, i) : undefined;
    for (; i >= 0; i = this.endedNext[i]!) {
      if (atMillis >= this.endedStart[i]! - CLOCK_TOLERANCE_MILLIS && atMillis <= this.endedEnd[i]! + CLOCK_TOLERANCE_MILLIS)
        return this.endedLabels(context, i);
    }
    // Taken just before the live holder's start by the span's clock, within what the two clocks disagree by.
    if (live !== undefined && atMillis! >= live.startMillis - CLOCK_TOLERANCE_MILLIS) return live;
    return undefined;
  }

  /** A profile was collected: ended spans' samples are all in it. */
  collected(): void {
    if (this.endedCount === 0) return;
    this.endedCount = 0;
    this.endedHead.fill(-1);
    this.endedOwnHead.clear();
    // The times and chains are overwritten; the spans' ids and roots are let go.
    this.endedSpanId = [];
    this.endedRoot = [];
  }

  /** Spans alive and ended-but-kept, for tests and diagnostics (walks every slot). */
  get sizes(): { live: number; ended: number } {
    let live = this.own.size;
    for (const labels of this.live) if (labels !== undefined) live++;
    return { live, ended: this.endedCount };
  }
}
