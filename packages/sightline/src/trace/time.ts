// Span times are kept as milliseconds relative to performance.timeOrigin (a double with sub-µs
// precision) and turned into Unix nanoseconds only when encoded.
// Imported, not read from the global: Node defines the global `performance` as a lazy getter, a call
// on every read (~13 ns; the other modules import it for the same reason).
import { performance } from 'node:perf_hooks';
import type { HrTime, TimeInput } from '@opentelemetry/api';

const origin = performance.timeOrigin;
const originMs = Math.floor(origin);
const ORIGIN_NS = BigInt(originMs) * 1_000_000n + BigInt(Math.round((origin - originMs) * 1e6));
const TWO_32 = 4294967296;
const ORIGIN_HI = Number(ORIGIN_NS >> 32n);
const ORIGIN_LO = Number(ORIGIN_NS & 0xffffffffn);

const EPOCH_MILLIS_THRESHOLD = 1e12;

export const now = (): number => performance.now();

function isHrTime(value: unknown): value is HrTime {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number';
}

/** Accepts what the API accepts: HrTime, Date, epoch milliseconds, or performance.now() milliseconds. */
export function toRelative(input: TimeInput | undefined): number {
  if (input === undefined) return performance.now();
  if (typeof input === 'number') {
    // Epoch milliseconds are ~1.7e12; performance.now() stays below 1e12 for 31 years of uptime. (The
    // OpenTelemetry SDK compares with the time origin instead, which misreads epoch times from
    // just before the process started as performance.now() readings.)
    return input >= EPOCH_MILLIS_THRESHOLD ? input - origin : input;
  }
  if (input instanceof Date) return input.getTime() - origin;
  if (isHrTime(input)) return input[0] * 1e3 + input[1] / 1e6 - origin;
  return performance.now();
}

/** Unix nanoseconds split into two unsigned 32-bit halves, for protobuf fixed64 without BigInt. */
export function unixNanoParts(relativeMs: number, out: { hi: number; lo: number }): void {
  const ns = Math.round(relativeMs * 1e6);
  let lo = ORIGIN_LO + ns;
  const carry = Math.floor(lo / TWO_32);
  lo -= carry * TWO_32;
  out.hi = ORIGIN_HI + carry;
  out.lo = lo;
}

export function unixNanoString(relativeMs: number): string {
  return (ORIGIN_NS + BigInt(Math.round(relativeMs * 1e6))).toString();
}

export function unixMillis(relativeMs: number): number {
  return origin + relativeMs;
}
