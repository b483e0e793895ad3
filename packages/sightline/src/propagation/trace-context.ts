// W3C Trace Context (Level 2) traceparent / tracestate propagation.
import { trace, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { hasValidIds, isAllZeros } from '../trace/ids.js';
import { TraceState } from '../trace/trace-state.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** Flags Sightline understands and forwards: sampled (0x01) and random (0x02). */
const KNOWN_FLAGS = 0x03;

/** Parses one traceparent value; undefined when it is not valid by the specification. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT_PATTERN.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (isAllZeros(traceId) || isAllZeros(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & KNOWN_FLAGS, isRemote: true };
}

export function formatTraceparent(ctx: SpanContext): string {
  const flags = ctx.traceFlags & KNOWN_FLAGS;
  return `00-${ctx.traceId}-${ctx.spanId}-0${flags.toString(16)}`;
}

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

export class W3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const ctx = trace.getSpanContext(context);
    if (ctx === undefined || !hasValidIds(ctx)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(ctx));
    const state = ctx.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    // More than one traceparent header is ambiguous, so none is trusted.
    const header = single(getter.get(carrier, TRACEPARENT));
    if (header === undefined) return context;
    const parsed = parseTraceparent(header);
    if (parsed === undefined) return context;

    const stateHeader = getter.get(carrier, TRACESTATE);
    if (stateHeader !== undefined) {
      // Several tracestate headers are one list, joined in order (RFC 9110 field combination).
      const joined = Array.isArray(stateHeader) ? stateHeader.join(',') : stateHeader;
      const state = TraceState.parse(joined);
      if (state !== undefined && state.size > 0) parsed.traceState = state;
    }
    return trace.setSpanContext(context, parsed);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}
