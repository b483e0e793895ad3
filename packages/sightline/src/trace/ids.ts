// Trace and span ids from pooled randomness: one crypto call per 4 KB, and one hex conversion per
// 192 bytes (8 traces' worth), each id a slice of that hex. A conversion per id was the largest single
// cost of an unsampled request. An id that outlives its request keeps its 384-character chunk alive,
// which bounds what long-kept ids (a tail sampler's memory of kept traces) can hold.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const CHUNK_BYTES = 192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;
let chunk = '';
let chunkOffset = 0;

/** `digits` random lowercase hex digits (a multiple of 2, at most 2 x CHUNK_BYTES). */
function randomHex(digits: number): string {
  if (chunkOffset + digits > chunk.length) {
    if (offset + CHUNK_BYTES > POOL_SIZE) {
      randomFillSync(pool);
      offset = 0;
    }
    chunk = pool.toString('hex', offset, offset + CHUNK_BYTES);
    offset += CHUNK_BYTES;
    chunkOffset = 0;
  }
  const at = chunkOffset;
  chunkOffset += digits;
  return chunk.slice(at, at + digits);
}

/**
 * Whether an id is all zeros (invalid in W3C trace context), read digit by digit: a random id fails on
 * its first digit 15 times in 16. Comparing with a string of zeros instead cost ~160 instructions per
 * id (callgrind), because an id is a slice of a longer string and V8 compares unequal kinds of string
 * in its runtime, not in generated code.
 */
export function isAllZeros(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 48) return false;
  return true;
}

/** 32 lowercase hex digits, never all zero; every bit random, so the W3C Level 2 random flag holds. */
export function newTraceId(): string {
  const id = randomHex(32);
  return isAllZeros(id) ? newTraceId() : id;
}

/** 16 lowercase hex digits, never all zero. */
export function newSpanId(): string {
  const id = randomHex(16);
  return isAllZeros(id) ? newSpanId() : id;
}

/**
 * Whether a span context has usable ids, checked by shape for paths run on every log line: the API's
 * isSpanContextValid runs two regular expressions per call. Ids that are the right length but not
 * hex are the caller's own doing and still encode without harm.
 */
export function hasUsableIds(sc: { traceId: string; spanId: string }): boolean {
  return sc.traceId.length === 32 && sc.spanId.length === 16 && !isAllZeros(sc.traceId) && !isAllZeros(sc.spanId);
}
