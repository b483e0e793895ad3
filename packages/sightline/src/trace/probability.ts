// Consistent probability sampling (OpenTelemetry's "TraceState: Probability Sampling"): a span is
// sampled when its trace's 56-bit randomness R is at or above a rejection threshold T, where
// T = 2^56 - round(p * 2^56). R is the trace id's rightmost 56 bits (random under W3C Level 2), or
// an explicit `rv` in the `ot` tracestate entry. T travels as `th` in the same entry, so every
// downstream service and backend knows the span's adjusted count (1 / p). Thresholds and randomness
// are compared as 14-digit lowercase hex strings: equal-length hex compares like the numbers, and no
// 56-bit arithmetic (beyond a double's precision) happens per span.
import type { TraceState } from '@opentelemetry/api';
import { idPool } from './ids.js';

const DIGITS = 14;
const HEX14 = /^[0-9a-f]{14}$/;
const TH = /^[0-9a-f]{1,14}$/;
const TWO_56 = 1n << 56n;
/** The threshold of 0%: above every 14-digit hex randomness. */
const NEVER = 'g';

/** A rejection threshold: 14 hex digits to compare with, and its tracestate form. */
export interface Threshold {
  /** T as 14 lowercase hex digits; for 0% the string `g`, which compares above every hex R. */
  readonly hex: string;
  /** The `th` value: T with trailing zeros removed (`0` for 100%); undefined for 0%, which is never written. */
  readonly th: string | undefined;
}

export function thresholdOf(probability: number): Threshold {
  const p = Number.isNaN(probability) ? 0 : Math.min(1, Math.max(0, probability));
  const t = TWO_56 - exactTimesTwo56(p);
  if (t >= TWO_56) return { hex: NEVER, th: undefined };
  const hex = t.toString(16).padStart(DIGITS, '0');
  return { hex, th: hex.replace(/0+$/, '') || '0' };
}

/** round(p * 2^56) for a double p in [0, 1], exactly (ties away from zero). */
function exactTimesTwo56(p: number): bigint {
  if (p === 0) return 0n;
  if (p === 1) return TWO_56;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, p);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & ((1n << 52n) - 1n);
  const m = exponent === 0 ? mantissa : mantissa | (1n << 52n);
  const e = (exponent === 0 ? 1 : exponent) - 1075 + 56; // p = m * 2^(exponent-1075)
  if (e >= 0) return m << BigInt(e);
  const shift = BigInt(-e);
  return (m + (1n << (shift - 1n))) >> shift;
}

/** The `th` value read last and its threshold: a service's parents mostly carry one (their sampler's). */
let lastTh = '';
let lastThreshold: Threshold | undefined = undefined;

/** The threshold a `th` value stands for, or undefined when it is not a valid one. */
export function parseTh(th: string): Threshold | undefined {
  if (th === lastTh) return lastThreshold;
  const threshold = TH.test(th) ? { hex: th.padEnd(DIGITS, '0'), th } : undefined;
  lastTh = th;
  lastThreshold = threshold;
  return threshold;
}

const NO_MEMBERS: ReadonlyArray<readonly [string, string]> = Object.freeze([]);
/** The `ot` value read last and its members: a service's parents mostly carry one value (their sampler's `th`). */
let lastOt = '';
let lastMembers: ReadonlyArray<readonly [string, string]> = NO_MEMBERS;

/** The `ot` entry's sub-keys (`th:…;rv:…;other:…`), in order; shared, never to be changed. */
function otMembers(traceState: TraceState | undefined): ReadonlyArray<readonly [string, string]> {
  const value = traceState?.get('ot');
  if (value === undefined || value === '') return NO_MEMBERS;
  if (value === lastOt) return lastMembers;
  const out: Array<readonly [string, string]> = [];
  for (const member of value.split(';')) {
    const colon = member.indexOf(':');
    if (colon > 0) out.push([member.slice(0, colon), member.slice(colon + 1)]);
  }
  Object.freeze(out);
  lastOt = value;
  lastMembers = out;
  return out;
}

export function otValue(traceState: TraceState | undefined, key: string): string | undefined {
  for (const [k, v] of otMembers(traceState)) if (k === key) return v;
  return undefined;
}

/**
 * Whether a trace's randomness is at or above a threshold's 14 hex digits: the trace id's last 14
 * digits compared in place, without the string randomnessOf() makes (an unsampled request pays for
 * this); an `rv` in the tracestate is compared as randomnessOf() reads it.
 */
export function randomnessAtLeast(traceId: string, traceState: TraceState | undefined, thresholdHex: string): boolean {
  // 0%: no randomness reaches `g` (a valid `rv` and a trace id are hex), so none is read; that took
  // randomnessOf()'s slice and lowercase copy, ~70 ns of every request at OTEL_TRACES_SAMPLER_ARG=0.
  if (thresholdHex === NEVER) return false;
  // A parent's tracestate without an `rv` (an upstream sampler's `th` alone, the usual case) leaves the
  // trace id's digits as the randomness, compared in place below.
  if (traceState !== undefined && otValue(traceState, 'rv') !== undefined) return randomnessOf(traceId, traceState) >= thresholdHex;
  if (thresholdHex.length !== DIGITS || traceId.length !== 32) return randomnessOf(traceId, undefined) >= thresholdHex;
  for (let i = 0; i < DIGITS; i++) {
    let c = traceId.charCodeAt(32 - DIGITS + i);
    if (c >= 0x41 && c <= 0x46) c += 0x20; // A-F compare as a-f
    const t = thresholdHex.charCodeAt(i);
    if (c !== t) return c > t;
  }
  return true;
}

/** A threshold's 14 hex digits as 7 bytes, to compare with a trace id's bytes; undefined for 0%. */
export function thresholdBytes(threshold: Threshold): Uint8Array | undefined {
  if (threshold.hex === NEVER) return undefined;
  return Uint8Array.from(Buffer.from(threshold.hex, 'hex'));
}

/**
 * randomnessAtLeast() for a trace id whose bytes are at `at` in the id pool (one made just now, see
 * madeTraceIdAt): its rightmost 56 bits are bytes 9 to 15, compared with the threshold's 7 bytes.
 */
export function poolRandomnessAtLeast(at: number, threshold: Uint8Array): boolean {
  for (let i = 0; i < 7; i++) {
    const r = idPool[at + 9 + i]!;
    const t = threshold[i]!;
    if (r !== t) return r > t;
  }
  return true;
}

/** The trace's randomness: a valid `rv` from the tracestate, else the trace id's rightmost 56 bits. */
export function randomnessOf(traceId: string, traceState: TraceState | undefined): string {
  const rv = traceState === undefined ? undefined : otValue(traceState, 'rv');
  return rv !== undefined && HEX14.test(rv) ? rv : traceId.slice(32 - DIGITS).toLowerCase();
}

/** The tracestate with `th` set (or removed, for undefined), other `ot` sub-keys and entries kept. */
export function withTh(traceState: TraceState, th: string | undefined): TraceState {
  const members = otMembers(traceState).filter(([k]) => k !== 'th');
  if (th !== undefined) members.unshift(['th', th]);
  if (members.length === 0) return traceState.get('ot') === undefined ? traceState : traceState.unset('ot');
  return traceState.set('ot', members.map(([k, v]) => `${k}:${v}`).join(';'));
}
