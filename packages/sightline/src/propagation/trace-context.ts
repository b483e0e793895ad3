// W3C Trace Context (Level 2) traceparent / tracestate propagation.
import { trace, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { hasValidIds, trustIds } from '../trace/ids.js';
import { TraceState } from '../trace/trace-state.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Flags Sightline understands and forwards: sampled (0x01) and random (0x02). */
const KNOWN_FLAGS = 0x03;

const DASH = 0x2d;
// The fixed layout every version shares: vv-<32 hex>-<16 hex>-ff, 55 characters.
const TRACE_ID_AT = 3;
const SPAN_ID_AT = 36;
const FLAGS_AT = 53;
const FIXED_LENGTH = 55;

/** Each character code's value as a lowercase hex digit, -1 for anything else (uppercase is invalid here). */
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX_DIGIT['0123456789abcdef'.charCodeAt(c)] = c;

function hexDigit(c: number): number {
  return c < 128 ? HEX_DIGIT[c]! : -1;
}

/** Whether value[from, to) is lowercase hex with at least one digit other than 0 (an all-zero id is invalid). */
function isNonZeroHex(value: string, from: number, to: number): boolean {
  let any = 0;
  for (let i = from; i < to; i++) {
    const digit = hexDigit(value.charCodeAt(i));
    if (digit < 0) return false;
    any |= digit;
  }
  return any !== 0;
}

/** Whether `value` could be changed by trim(): it starts or ends with something other than printable ASCII. */
function mayNeedTrim(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return !(first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f);
}

/**
 * Parses one traceparent value; undefined when it is not valid by the specification. Read character
 * by character, where a regular expression with five groups built a match array and five strings
 * for every request that came with a traceparent (a service behind another traced one: all of them).
 * The ids it returns are checked, so the tracer is told not to read them again (trustIds).
 */
export function parseTraceparent(header: string): SpanContext | undefined {
  const value = header.length > 0 && mayNeedTrim(header) ? header.trim() : header;
  const length = value.length;
  if (length < FIXED_LENGTH) return undefined;
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(SPAN_ID_AT - 1) !== DASH || value.charCodeAt(FLAGS_AT - 1) !== DASH)
    return undefined;
  const v0 = hexDigit(value.charCodeAt(0));
  const v1 = hexDigit(value.charCodeAt(1));
  const f0 = hexDigit(value.charCodeAt(FLAGS_AT));
  const f1 = hexDigit(value.charCodeAt(FLAGS_AT + 1));
  if (v0 < 0 || v1 < 0 || f0 < 0 || f1 < 0) return undefined;
  if (v0 === 15 && v1 === 15) return undefined; // version ff is invalid
  if (length > FIXED_LENGTH) {
    // Version 00 is exactly 55 characters; a later version may add fields, each after a dash, on one line.
    if (v0 === 0 && v1 === 0) return undefined;
    if (value.charCodeAt(FIXED_LENGTH) !== DASH) return undefined;
    for (let i = FIXED_LENGTH + 1; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) return undefined;
    }
  }
  if (!isNonZeroHex(value, TRACE_ID_AT, SPAN_ID_AT - 1) || !isNonZeroHex(value, SPAN_ID_AT, FLAGS_AT - 1)) return undefined;
  const traceId = value.slice(TRACE_ID_AT, SPAN_ID_AT - 1);
  const spanId = value.slice(SPAN_ID_AT, FLAGS_AT - 1);
  trustIds(traceId, spanId);
  return { traceId, spanId, traceFlags: ((f0 << 4) | f1) & KNOWN_FLAGS, isRemote: true };
}

/** The traceparent's last field for each value of the known flags: no number formatted per header. */
const FLAGS_FIELD = ['-00', '-01', '-02', '-03'];

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}${FLAGS_FIELD[ctx.traceFlags & KNOWN_FLAGS]!}`;
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
