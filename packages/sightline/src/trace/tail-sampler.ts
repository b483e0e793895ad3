// Tail sampling in the process: spans of traces that head sampling dropped are recorded anyway and
// held per local trace (the spans under one local root: a request, a job run) until the local root
// ends (at once when no span of it is still open here, else after a grace period for the late ones);
// then the local trace is kept when any span failed (ERROR status), when the local root took longer
// than the latency threshold, or when an attribute rule matches, and dropped otherwise. Kept spans go
// to the export queue marked sampled, with the reason as `sightline.sampling.kept_by`; spans that end
// after their trace was decided follow the decision (each span holds its local trace, so the decision
// is found without a lookup and never forgotten), so a kept trace loses no late span and a dropped one
// leaks none. Another local root of a trace kept here (a job the request queued) is kept too.
//
// Bounds: at most `maxTraces` traces and `maxSpans` spans wait here; past either, the oldest waiting
// trace is decided at once on what it has (counted as decided early). Kept traces are limited to
// `maxKeptPerSecond` (a token bucket); the rest are dropped and counted. Head-sampled spans pass
// straight through. A request whose single span ends with nothing else open costs one small object.
import { performance } from 'node:perf_hooks';
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

/**
 * One local trace waiting for its decision: the spans of a trace under one local root (a request, a
 * job run), shared by reference from each of its spans, so that no span looks its trace up by id.
 * It stays reachable from its spans after the decision, which is how a late span finds the decision.
 */
export class TailTrace {
  /** Ended spans held until the decision (null until the first one that must wait). */
  spans: RecordingSpan[] | null = null;
  /** Spans of the trace started here and not ended yet. */
  open = 0;
  /** When a sweep first saw the trace waiting (NaN before): a trace waiting too long is decided anyway. */
  seenAt = NaN;
  /** Set when the local root ended with spans still open: the decision is due then. */
  dueAt = Infinity;
  keptBy: KeptBy | undefined = undefined;
  /** undefined while waiting; then the reason it was kept, or null for dropped. */
  decision: KeptBy | null | undefined = undefined;
  // The waiting traces in arrival order, as an intrusive list: O(1) in and out, nothing allocated.
  prev: TailTrace | null = null;
  next: TailTrace | null = null;

  constructor(readonly root: RecordingSpan) {}
}

/** How long the decision of a kept trace is remembered for another local root of it (a job run later). */
const KEPT_MEMORY_MILLIS = 30_000;
/** A trace whose local root never ends here (a span orphaned by an ended trace) is decided after this. */
const MAX_WAIT_MILLIS = 60_000;

export class TailSampler implements SpanSink {
  // Oldest and newest waiting trace.
  private first: TailTrace | null = null;
  private last: TailTrace | null = null;
  private waitingCount = 0;
  /** Kept traces by id, so that another local root of the same trace (a job this process runs later) is kept too. */
  private readonly keptTraces = new Map<string, KeptBy>();
  private readonly keptOrder = new IdQueue();
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

  /** A recorded span head sampling dropped starts: it joins its parent's local trace, or begins one. */
  onStartUnsampled(span: RecordingSpan, parent: RecordingSpan | undefined): void {
    let trace = parent?.tail;
    if (trace === undefined) {
      trace = new TailTrace(span);
      this.append(trace);
      if (this.waitingCount > this.settings.maxTraces) this.decideOldest();
    }
    span.tail = trace;
    if (trace.decision === undefined) trace.open++;
  }

  onEnd(span: RecordingSpan): void {
    if ((span.context.traceFlags & TraceFlags.SAMPLED) !== 0) {
      this.downstream.onEnd(span);
      return;
    }
    let trace = span.tail;
    if (trace === undefined) {
      // Never announced (started before this sampler existed): a trace of its own.
      trace = span.tail = new TailTrace(span);
      this.append(trace);
      trace.open = 1;
    }
    const decision = trace.decision;
    if (decision !== undefined) {
      // A late span follows its trace's decision.
      if (decision !== null) this.keep(span, decision);
      return;
    }
    trace.open--;
    const isRoot = trace.root === span;
    trace.keptBy ??= this.reasonToKeep(span, isRoot);
    if (isRoot) {
      // Nothing of the trace still running here once its local root has ended: decide at once,
      // rather than hold the spans through the grace period (most requests leave nothing behind).
      if (trace.open <= 0) {
        this.decide(trace, span);
        return;
      }
      trace.dueAt = this.clock() + this.settings.graceMillis;
    } else if (trace.open <= 0 && trace.dueAt !== Infinity) {
      this.decide(trace, span);
      return;
    }
    (trace.spans ??= []).push(span);
    this.spans++;
    while (this.spans > this.settings.maxSpans && this.first !== null) this.decideOldest();
    this.stats.tailSpansBuffered = this.spans;
  }

  private reasonToKeep(span: RecordingSpan, isRoot: boolean): KeptBy | undefined {
    if (span.statusCode === SpanStatusCode.ERROR) return 'error';
    if (isRoot && span.endTime - span.startTime >= this.settings.latencyMillis) return 'latency';
    const rules = this.settings.attributes;
    if (rules.length === 0) return undefined;
    span.resolveDeferredAttributes();
    for (const [key, value] of rules) if (String(span.attribute(key)) === value) return 'attribute';
    return undefined;
  }

  /** Decides every trace whose grace period is over (all of them with `all`). */
  sweep(all = false): void {
    const now = this.clock();
    for (let trace = this.first; trace !== null;) {
      const next = trace.next;
      if (Number.isNaN(trace.seenAt)) trace.seenAt = now;
      if (all || trace.dueAt <= now || now - trace.seenAt >= MAX_WAIT_MILLIS) this.decide(trace, undefined);
      trace = next;
    }
    this.forget(now);
    this.stats.tailSpansBuffered = this.spans;
  }

  /** Traces waiting for their decision (requests still running included). */
  get pending(): number {
    return this.waitingCount;
  }

  /** Before a flush or at exit: every waiting trace is decided on what it has. */
  flush(): void {
    this.sweep(true);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.flush();
  }

  private append(trace: TailTrace): void {
    trace.prev = this.last;
    if (this.last === null) this.first = trace;
    else this.last.next = trace;
    this.last = trace;
    this.waitingCount++;
  }

  private unlink(trace: TailTrace): void {
    if (trace.prev === null) this.first = trace.next;
    else trace.prev.next = trace.next;
    if (trace.next === null) this.last = trace.prev;
    else trace.next.prev = trace.prev;
    trace.prev = trace.next = null;
    this.waitingCount--;
  }

  private decideOldest(): void {
    if (this.first === null) return;
    this.stats.tailTracesDecidedEarly++;
    this.decide(this.first, undefined);
  }

  /** Decides a waiting trace; `last` is the span whose end decided it, not yet held. */
  private decide(trace: TailTrace, last: RecordingSpan | undefined): void {
    this.unlink(trace);
    const held = trace.spans;
    trace.spans = null;
    if (held !== null) {
      this.spans -= held.length;
      this.stats.tailSpansBuffered = this.spans;
    }
    let keptBy = trace.keptBy;
    if (keptBy !== undefined && !this.takeToken()) {
      this.stats.tailTracesRateLimited++;
      keptBy = undefined;
    }
    const traceId = trace.root.context.traceId;
    if (keptBy === undefined && this.keptTraces.size > 0) {
      // Another local root of a trace kept here already (its request, before this job): keep it whole.
      keptBy = this.keptTraces.get(traceId);
    } else if (keptBy !== undefined) {
      this.remember(traceId, keptBy);
    }
    trace.decision = keptBy ?? null;
    if (keptBy === undefined) {
      this.stats.tailTracesDropped++;
      return;
    }
    this.stats.tailTracesKept++;
    if (held !== null) for (const span of held) this.keep(span, keptBy);
    if (last !== undefined) this.keep(last, keptBy);
  }

  private keep(span: RecordingSpan, keptBy: KeptBy): void {
    span.resolveDeferredAttributes();
    span.keptBy = keptBy;
    this.downstream.offer(span);
  }

  private remember(traceId: string, keptBy: KeptBy): void {
    if (this.keptTraces.has(traceId)) return;
    this.keptTraces.set(traceId, keptBy);
    this.keptOrder.push(traceId, this.clock());
    // Bounded between sweeps too (the rate limit bounds it already; this is the backstop).
    if (this.keptTraces.size > this.settings.maxTraces * 2) this.keptTraces.delete(this.keptOrder.shift()!);
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

  /** Forgets kept decisions older than the memory. */
  private forget(now: number): void {
    for (let traceId = this.keptOrder.peek(); traceId !== undefined; traceId = this.keptOrder.peek()) {
      if (now - this.keptOrder.peekTime() < KEPT_MEMORY_MILLIS) break;
      this.keptOrder.shift();
      this.keptTraces.delete(traceId);
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
