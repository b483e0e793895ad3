// Trace and span ids from pooled randomness: one crypto call per 64 KB, and one hex conversion per
// 192 bytes (8 traces' worth), each id a slice of that hex. A conversion per id was the largest single
// cost of an unsampled request. An id that outlives its request keeps its 384-character chunk alive,
// which bounds what long-kept ids (a tail sampler's memory of kept traces) can hold.
//
// Where the bytes of the id made last lie is told in `lastId`, for a span that will be encoded:
// copying 8 or 16 bytes costs a tenth of parsing the id's hex again (~65 instructions a digit, as the
// id is a slice of a longer string). The pool is refilled in place, each refill a new "lap": an id's
// bytes are valid while the pool is on the lap the id was made in, which the encoder checks, parsing
// the hex of the few spans that outlive their lap (a lap is ~2,700 traces). Refilling in place
// allocates nothing; a new pool per refill was tried first, and its runs read more garbage collection
// at 10% sampling, though GC in those runs varied too much for that to be firm.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 65536;
const CHUNK_BYTES = 192;
/** The random bytes ids are made from. */
export const idPool = Buffer.allocUnsafeSlow(POOL_SIZE);
let lap = 0;
let offset = POOL_SIZE;
let chunk = '';
let chunkOffset = 0;
let chunkStart = 0;

/** The pool's lap: how many times it has been refilled. */
export function idPoolLap(): number {
  return lap;
}

/** Where the bytes of the id made last lie: at `at` in idPool, valid while the pool is on `lap`. */
export const lastId = { lap: 0, at: 0 };

/** `digits` random lowercase hex digits (a multiple of 2, at most 2 x CHUNK_BYTES). */
function randomHex(digits: number): string {
  if (chunkOffset + digits > chunk.length) {
    if (offset + CHUNK_BYTES > POOL_SIZE) {
      randomFillSync(idPool);
      lap = (lap + 1) & 0x3fffffff; // stays a small integer
      offset = 0;
    }
    chunk = idPool.toString('hex', offset, offset + CHUNK_BYTES);
    chunkStart = offset;
    offset += CHUNK_BYTES;
    chunkOffset = 0;
  }
  const at = chunkOffset;
  chunkOffset += digits;
  lastId.lap = lap;
  lastId.at = chunkStart + (at >>> 1);
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

/**
 * Whether the id made last is all zeros (invalid in W3C trace context), read from its bytes in the pool:
 * reading the first digit of the id's string cost ~10 ns, as the id is a slice of a longer string.
 */
function lastIdIsZero(bytes: number): boolean {
  const end = lastId.at + bytes;
  for (let i = lastId.at; i < end; i++) if (idPool[i] !== 0) return false;
  return true;
}

/** The trace id made last, and where its bytes lie: the sampler reads a new trace's randomness there. */
let madeTrace = '';
let madeTraceLap = -1;
let madeTraceAt = 0;

/** 32 lowercase hex digits, never all zero; every bit random, so the W3C Level 2 random flag holds. Its bytes: `lastId`. */
export function newTraceId(): string {
  const id = randomHex(32);
  if (lastIdIsZero(16)) return newTraceId();
  madeTrace = id;
  madeTraceLap = lastId.lap;
  madeTraceAt = lastId.at;
  return id;
}

/**
 * Where the bytes of `traceId` lie in idPool, when it is the trace id newTraceId() made last and the
 * pool still holds them; -1 otherwise. A root span's sampler is asked right after its trace id is made,
 * and reading a digit of the id's string costs ~65 instructions (it is a slice of a longer string), a
 * byte of the pool one load. The comparison is of the same string object, the usual case, in one step.
 */
export function madeTraceIdAt(traceId: string): number {
  return traceId === madeTrace && madeTraceLap === lap ? madeTraceAt : -1;
}

/** 16 lowercase hex digits, never all zero. Its bytes: `lastId`. */
export function newSpanId(): string {
  const id = randomHex(16);
  return lastIdIsZero(8) ? newSpanId() : id;
}

/**
 * Whether a span context's ids are what the API's isSpanContextValid accepts (32 and 16 hex digits,
 * not all zeros), read digit by digit: its two regular expressions cost ~1,100 instructions per id
 * (callgrind), this loop a tenth of that. The tracer, the sampler and traceparent injection use it on
 * every span and outgoing request: an id that is not hex would otherwise reach the wire or the encoder.
 *
 * The same ids come back several times per request (the tracer and then the sampler check each new
 * span's parent; a request's span is the parent of each of its client spans; a client span is injected
 * right after it is made), and reading an id made here costs ~65 instructions a digit, as it is a slice
 * of a longer string (~300 ns a check): so the pair last found valid, and the pair the tracer made last
 * (valid as made: see madeIds), answer without reading a digit. Validity depends only on the two
 * strings, so the answer for equal strings holds whatever object carries them.
 */
export function hasValidIds(sc: { traceId: string; spanId: string }): boolean {
  const traceId = sc.traceId;
  const spanId = sc.spanId;
  if (spanId === checkedSpanId && traceId === checkedTraceId) return true;
  if (spanId === madeSpanId && traceId === madeTraceId) return true;
  if (!isHexId(traceId, 32) || !isHexId(spanId, 16)) return false;
  trustIds(traceId, spanId);
  return true;
}
// Start with a valid pair (the W3C specification's example): whatever equals it is valid too.
let checkedTraceId = '0af7651916cd43dd8448eb211c80319c';
let checkedSpanId = 'b7ad6b7169203331';
let madeTraceId = checkedTraceId;
let madeSpanId = checkedSpanId;

/**
 * The tracer made a span with these ids: a span id from newSpanId, and a trace id from newTraceId or
 * from a parent that hasValidIds accepted. Valid by construction, so hasValidIds need not read them.
 */
export function madeIds(traceId: string, spanId: string): void {
  madeTraceId = traceId;
  madeSpanId = spanId;
}

/** These ids are valid (the tracer made them): the next hasValidIds of them answers without reading a digit. */
export function trustIds(traceId: string, spanId: string): void {
  checkedTraceId = traceId;
  checkedSpanId = spanId;
}

function isHexId(id: string, length: number): boolean {
  if (id.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    // 0-9, a-f, A-F (the API accepts either case).
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true;
    } else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) nonZero = true;
    else return false;
  }
  return nonZero;
}

/**
 * Whether a span context has usable ids, checked by shape for paths run on every log line: the API's
 * isSpanContextValid runs two regular expressions per call. Ids that are the right length but not
 * hex are the caller's own doing and still encode without harm.
 */
export function hasUsableIds(sc: { traceId: string; spanId: string }): boolean {
  return sc.traceId.length === 32 && sc.spanId.length === 16 && !isAllZeros(sc.traceId) && !isAllZeros(sc.spanId);
}
