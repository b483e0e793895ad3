// Trace and span ids from a pooled random buffer: one crypto call per ~170 traces instead of one per id.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** 32 lowercase hex digits, never all zero; every bit random, so the W3C Level 2 random flag holds. */
export function newTraceId(): string {
  const at = take(16);
  const id = pool.toString('hex', at, at + 16);
  return id === '00000000000000000000000000000000' ? newTraceId() : id;
}

/** 16 lowercase hex digits, never all zero. */
export function newSpanId(): string {
  const at = take(8);
  const id = pool.toString('hex', at, at + 8);
  return id === '0000000000000000' ? newSpanId() : id;
}

/**
 * Whether a span context has usable ids, checked by shape for paths run on every log line: the API's
 * isSpanContextValid runs two regular expressions per call. Ids that are the right length but not
 * hex are the caller's own doing and still encode without harm.
 */
export function hasUsableIds(sc: { traceId: string; spanId: string }): boolean {
  return (
    sc.traceId.length === 32 &&
    sc.spanId.length === 16 &&
    sc.traceId !== '00000000000000000000000000000000' &&
    sc.spanId !== '0000000000000000'
  );
}
