// Exemplars: the trace and span of a measurement, so that a point on a latency chart leads to a
// request that made it. A series keeps one sampled measurement per slot (per bucket for explicit
// histograms), in objects it reuses, so keeping exemplars allocates nothing per request. Which one:
// each of the n sampled measurements a slot saw since the last collection replaces the kept one with
// probability 1/n, so every one of them is equally likely to be kept (the uniformly-weighted reservoir
// the specification advises, where keeping the last one favoured the end of each period). Most
// measurements are then turned away after one random draw, before the clock is read and the slot
// written: at 100% sampling that was every request's exemplar, once per measurement.
import { context as contextApi, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type { Exemplar } from './types.js';

/** OTEL_METRICS_EXEMPLAR_FILTER. */
export type ExemplarFilter = 'trace_based' | 'always_on' | 'always_off';
export const EXEMPLAR_FILTERS: readonly ExemplarFilter[] = ['trace_based', 'always_on', 'always_off'];

interface Slot extends Exemplar {
  filled: boolean;
  /** Sampled measurements offered since the last collection. */
  seen: number;
}

export class ExemplarSlots {
  private readonly slots: Slot[];

  constructor(size: number) {
    this.slots = Array.from({ length: size }, () => ({ filled: false, value: 0, time: 0, traceId: '', spanId: '', seen: 0 }));
  }

  /** `now` is called only for a measurement that is kept (most are not sampled, and need no time). */
  offer(slot: number, value: number, now: () => number, filter: ExemplarFilter, ctx: Context | undefined): void {
    const span = trace.getSpan(ctx ?? contextApi.active());
    if (span === undefined) return;
    const spanContext = span.spanContext();
    // Without a span there is nothing to link to, even for always_on.
    if (filter === 'trace_based' && (spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const target = this.slots[slot];
    if (target === undefined) return;
    const seen = ++target.seen;
    if (seen > 1 && Math.random() * seen >= 1) return;
    target.filled = true;
    target.value = value;
    target.time = now();
    target.traceId = spanContext.traceId;
    target.spanId = spanContext.spanId;
  }

  /** Copies of the exemplars recorded at or after `since`; the next period's draws start afresh. */
  collect(since: number): Exemplar[] {
    const out: Exemplar[] = [];
    for (const slot of this.slots) {
      slot.seen = 0;
      if (slot.filled && slot.time >= since) out.push({ value: slot.value, time: slot.time, traceId: slot.traceId, spanId: slot.spanId });
    }
    return out;
  }
}
