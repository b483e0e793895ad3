// Tail sampling in the process: spans of traces that head sampling dropped are recorded anyway and
// held here, per trace, until the local root span ends (at once when no span of the trace is still
// open here, else after a grace period for the late ones); then the local
// trace is kept when any span failed (ERROR status), when the local root took longer than the latency
// threshold, or when an attribute rule matches, and dropped otherwise. Kept spans go to the export
// queue marked sampled, with the reason as `sightline.sampling.kept_by`; spans that end after their
// trace was decided follow the decision (remembered for a while), so a kept trace loses no late span
// and a dropped one leaks none.
//
// Bounds: at most `maxTraces` traces and `maxSpans` spans wait here; past either, the oldest waiting
// trace is decided at once on what it has (counted as decided early). Kept traces are limited to
// `maxKeptPerSecond` (a token bucket); the rest are dropped and counted. Head-sampled spans pass
// straight through.
import { SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { RecordingSpan, SpanSink } from './span.js';

export interface TailSamplingSettings {
  enabled: boolean;
  /** A local root at least this long keeps its trace (SIGHTLINE_TAIL_LATENCY_MS). */
  latencyMillis: number;
  /** How long after the local root ends its trace waits for late children. */
  graceMillis: number;
  maxTraces: number;
  maxSpans: number;
  maxKeptPerSecond: number;
  /** Attribute rules: any span with one of these key/value pairs keeps its trace. */
  attributes: Array<[string, string]>;
}

export type KeptBy = 'error' | 'latency' | 'attribute';

/** The counts getStats() reports. */
export interface TailSamplingStats {
  tailTracesKept: number;
  tailTracesDropped: number;
  tailTracesDecidedEarly: number;
  tailTracesRateLimited: number;
  tailSpansBuffered: number;
}

/** Where kept spans go: the span queue, taking a span whatever its sampled flag. */
export interface TailDownstream extends SpanSink {
  offer(span: RecordingSpan): void;
}

interface Waiting {
  spans: RecordingSpan[];
  /** Spans of the trace started here and not ended yet. */
  open: number;
  /** When the trace was first seen: its decision is remembered for a while counted from then. */
  firstSeen: number;
  /** Set when the local root ended: the decision is due then plus the grace period. */
  dueAt: number;
  keptBy: KeptBy | undefined;
}

/** How long a decision is remembered for spans that end after it (and at most 2 x maxTraces of them). */
const DECISION_MEMORY_MILLIS = 30_000;
/** A trace whose local root never ends here (a span orphaned by an ended trace) is decided after this. */
const MAX_WAIT_MILLIS = 60_000;

export class TailSampler implements SpanSink {
  private readonly waiting = new Map<string, Waiting>();
  /** Decisions by trace id: the reason a trace was kept, or null for dropped. */
  private readonly decided = new Map<string, KeptBy | null>();

  // Arrival orders, as queues with a moving head: asking a Map for its first entry walks over the
  // slots of every entry deleted before it, which under a burst made each early decision O(n).
  private readonly waitingOrder = new IdQueue();
  private readonly decidedOrder = new IdQueue();
  private spans = 0;
  private tokens: number;
  private lastRefill: number;
  private readonly timer: NodeJS.Timeout | undefined;
  readonly stats: TailSamplingStats = {
    tailTracesKept: 0,
    tailTracesDropped: 0,
    tailTracesDecidedEarly: 0,
    tailTracesRateLimited: 0,
    tailSpansBuffered: 0,
  };

  constructor(
    private readonly settings: TailSamplingSettings,
    private readonly downstream: TailDownstream,
    private readonly clock: () => number = () => performance.now(),
    sweepEveryMillis = Math.max(20, Math.min(250, settings.graceMillis / 2)),
  ) {
    this.tokens = settings.maxKeptPerSecond;
    this.lastRefill = clock();
    if (sweepEveryMillis > 0) {
      this.timer = setInterval(() => this.sweep(), sweepEveryMillis);
      this.timer.unref();
    }
  }

  onStartUnsampled(span: RecordingSpan): void {
    const traceId = span.context.traceId;
    if (this.decided.has(traceId)) return;
    this.waitingFor(traceId).open++;
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) !== 0) {
      this.downstream.onEnd(span);
      return;
    }
    const traceId = span.context.traceId;
    const decision = this.decided.get(traceId);
    if (decision !== undefined) {
      // A late span follows its trace's decision.
      if (decision !== null) this.keep(span, decision);
      return;
    }
    const trace = this.waitingFor(traceId);
    trace.spans.push(span);
    if (trace.open > 0) trace.open--;
    this.spans++;
    trace.keptBy ??= this.reasonToKeep(span);
    if (span.parentSpanId === undefined || span.parentIsRemote) trace.dueAt = this.clock() + this.settings.graceMillis;
    // Nothing of the trace is still running here once its local root has ended: decide at once,
    // rather than hold the spans through the grace period (most requests leave nothing behind).
    if (trace.open === 0 && trace.dueAt !== Infinity) this.decide(traceId, trace);
    while (this.waiting.size > this.settings.maxTraces || this.spans > this.settings.maxSpans) this.decideOldest();
    this.stats.tailSpansBuffered = this.spans;
  }

  private waitingFor(traceId: string): Waiting {
    let trace = this.waiting.get(traceId);
    if (trace === undefined) {
      trace = { spans: [], open: 0, firstSeen: this.clock(), dueAt: Infinity, keptBy: undefined };
      this.waiting.set(traceId, trace);
      this.waitingOrder.push(traceId);
    }
    return trace;
  }

  private reasonToKeep(span: RecordingSpan): KeptBy | undefined {
    if (span.statusCode === SpanStatusCode.ERROR) return 'error';
    if ((span.parentSpanId === undefined || span.parentIsRemote) && span.endTime - span.startTime >= this.settings.latencyMillis)
      return 'latency';
    for (const [key, value] of this.settings.attributes) if (String(span.attributes[key]) === value) return 'attribute';
    return undefined;
  }

  /** Decides every trace whose grace period is over (all of them with `all`). */
  sweep(all = false): void {
    const now = this.clock();
    for (const [traceId, trace] of this.waiting) {
      if (all || trace.dueAt <= now || now - trace.firstSeen >= MAX_WAIT_MILLIS) this.decide(traceId, trace);
    }
    this.forget(now);
    this.stats.tailSpansBuffered = this.spans;
  }

  /** Traces waiting for their decision. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Before a flush or at exit: every waiting trace is decided on what it has. */
  flush(): void {
    this.sweep(true);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.flush();
  }

  private decideOldest(): void {
    for (let traceId = this.waitingOrder.shift(); traceId !== undefined; traceId = this.waitingOrder.shift()) {
      const trace = this.waiting.get(traceId);
      if (trace === undefined) continue; // decided already, by a sweep
      this.stats.tailTracesDecidedEarly++;
      this.decide(traceId, trace);
      return;
    }
  }

  private decide(traceId: string, trace: Waiting): void {
    this.waiting.delete(traceId);
    // Most traces are decided in place, not from the front of the arrival queue: rebuild it from the
    // waiting traces once it holds mostly decided ones, so that it stays bounded (amortised O(1)).
    if (this.waitingOrder.length > 2 * this.waiting.size + 1024) this.waitingOrder.reset(this.waiting.keys());
    this.spans -= trace.spans.length;
    let keptBy = trace.keptBy;
    if (keptBy !== undefined && !this.takeToken()) {
      this.stats.tailTracesRateLimited++;
      keptBy = undefined;
    }
    this.decided.set(traceId, keptBy ?? null);
    this.decidedOrder.push(traceId, trace.firstSeen);
    // Remembered decisions are bounded too, also between sweeps (a burst decides thousands at once).
    if (this.decided.size > this.settings.maxTraces * 2) this.decided.delete(this.decidedOrder.shift()!);
    if (keptBy === undefined) {
      this.stats.tailTracesDropped++;
      return;
    }
    this.stats.tailTracesKept++;
    for (const span of trace.spans) this.keep(span, keptBy);
  }

  private keep(span: RecordingSpan, keptBy: KeptBy): void {
    span.keptBy = keptBy;
    this.downstream.offer(span);
  }

  private takeToken(): boolean {
    const now = this.clock();
    const rate = this.settings.maxKeptPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Forgets decisions older than the memory. */
  private forget(now: number): void {
    for (let traceId = this.decidedOrder.peek(); traceId !== undefined; traceId = this.decidedOrder.peek()) {
      if (now - this.decidedOrder.peekTime() < DECISION_MEMORY_MILLIS) break;
      this.decidedOrder.shift();
      this.decided.delete(traceId);
    }
  }
}

/** Trace ids (with a time) in arrival order: push at the back, take from the front, in amortised constant time. */
class IdQueue {
  private ids: string[] = [];
  private times: number[] = [];
  private head = 0;

  push(id: string, time = 0): void {
    this.ids.push(id);
    this.times.push(time);
  }

  peek(): string | undefined {
    return this.ids[this.head];
  }

  get length(): number {
    return this.ids.length - this.head;
  }

  /** Replaces the contents (for a queue whose entries are mostly stale). */
  reset(ids: Iterable<string>, time = 0): void {
    this.ids = [...ids];
    this.times = this.ids.map(() => time);
    this.head = 0;
  }

  peekTime(): number {
    return this.times[this.head] ?? 0;
  }

  shift(): string | undefined {
    if (this.head >= this.ids.length) return undefined;
    const id = this.ids[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return id;
  }
}

export const NO_TAIL_STATS: TailSamplingStats = Object.freeze({
  tailTracesKept: 0,
  tailTracesDropped: 0,
  tailTracesDecidedEarly: 0,
  tailTracesRateLimited: 0,
  tailSpansBuffered: 0,
});
