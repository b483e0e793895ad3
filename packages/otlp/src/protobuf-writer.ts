// A minimal protobuf writer for the OTLP messages Sightline sends, built for the main thread's budget
// (well under 1 µs per span): short ASCII strings and hex ids are copied byte by byte without a
// native call (longer strings by one), attribute keys are encoded once and cached, and a nested
// message reserves only as many length bytes as its largest possible size needs, so most never have
// to be moved.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LDELIM = 2;
export const WIRE_FIXED32 = 5;

const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = HEX_VALUE[65 + i] = 10 + i;

/**
 * From this many bytes a copy is one TypedArray set() (~12 ns on Node 22 to 26, whatever the length)
 * rather than a loop (~1 ns a byte): attribute keys are mostly 10 to 30 bytes.
 */
const COPY_BY_SET = 16;

/**
 * From this many characters a string is written by Node's native UTF-8 writer (`buf.write`, ~20–35 ns
 * a call on Node 22 to 26, whatever the length) rather than by a `charCodeAt` loop, which runs ~35
 * instructions a character or more in an app, where strings of every representation (flat, cons,
 * sliced) pass through it: SQL statements, URLs, user agents. From 16, `realistic`'s 23-character
 * `url.full` came to the native path too and cost more than its loop (bench/README.md, 2026-12-05).
 */
const NATIVE_STRING_FROM = 24;

const KEY_CACHE_LIMIT = 4096;

/**
 * What the writer keeps about one attribute key: its encoded `key` field. Whole KeyValues used to be
 * cached by value as well, for the string values that repeat (methods, routes, hosts), and copied
 * instead of encoded; but a value's lookup hashes and compares the string and touches a cached copy
 * that other work has pushed out of the CPU's caches, and encoding a short ASCII value is one pass over
 * it. V8's profiler, alternating builds (2026-12-04): the encoder took 11.9 µs a request in
 * `realistic` at 100% without the value cache against 12.2–16.5 with it, and 1.2–1.5 against 1.8–2.8 in
 * `hello`.
 */
export class AttributeKey {
  constructor(
    readonly key: string,
    /** The encoded `string key = 1` field of a KeyValue. */
    readonly field: Uint8Array,
  ) {}
}

/** Keys seen, bounded: past the limit a key is encoded each time. */
const attributeKeys = new Map<string, AttributeKey>();

function encodeKeyField(key: string): Uint8Array {
  const w = new ProtoWriter(key.length * 3 + 8);
  w.string(1, key);
  return Uint8Array.from(w.finish());
}

export class ProtoWriter {
  buf: Buffer;
  pos = 0;
  /**
   * `buf.length`, kept in a field: V8's mid tier (Maglev), where a writer that encodes a span now and
   * then runs, reads a typed array's length through a builtin call (~35 instructions), a field in one.
   */
  private capacity: number;
  /**
   * `buf` as a DataView: a fixed-width number (a span's times and flags) is one store through it,
   * where writing it byte by byte was four bounds-checked stores and shifts.
   */
  private view: DataView;
  /** The last source bytesAt() copied from (the id pool, span after span), and a DataView of it. */
  private sourceBytes: Uint8Array | undefined = undefined;
  private sourceView: DataView | undefined = undefined;
  private readonly starts: number[] = [];
  private readonly reserved: number[] = [];

  constructor(initialSize = 64 * 1024) {
    // Slow (unpooled) allocation: the finished buffer is transferred to the export worker whole.
    this.buf = Buffer.allocUnsafeSlow(initialSize);
    this.capacity = initialSize;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, initialSize);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.capacity) return;
    const size = Math.max(this.capacity * 2, this.pos + bytes);
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.capacity = size;
    this.view = new DataView(next.buffer, next.byteOffset, size);
  }

  tag(field: number, wire: number): void {
    this.uint32((field << 3) | wire);
  }

  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 127) {
      buf[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** int64 as a varint; negative values take the ten-byte two's-complement form. */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 127n) {
      this.buf[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  fixed64(hi: number, lo: number): void {
    this.ensure(8);
    const view = this.view;
    const p = this.pos;
    view.setUint32(p, lo, true);
    view.setUint32(p + 4, hi, true);
    this.pos = p + 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  string(field: number, value: string): void {
    this.tag(field, WIRE_LDELIM);
    const len = value.length;
    this.ensure(len * 3 + 5);
    if (len < NATIVE_STRING_FROM) {
      // ASCII fast path: one byte per character, and the length fits in one byte.
      const buf = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === len) {
        buf[this.pos] = len;
        this.pos = p;
        return;
      }
    }
    this.nativeString(value);
  }

  /**
   * A string's length and UTF-8 bytes, written by Node in one call after as many length bytes as its
   * ASCII size takes: moved up when its UTF-8 size takes more. The caller has ensured 3 bytes a
   * character and 5 more, so the write is never cut short.
   */
  private nativeString(value: string): void {
    const start = this.pos;
    const reserve = varintSize(value.length);
    const n = this.buf.write(value, start + reserve);
    const size = varintSize(n);
    if (size !== reserve) this.buf.copyWithin(start + size, start + reserve, start + reserve + n);
    this.uint32(n); // at `start`: the room was ensured
    this.pos += n;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LDELIM);
    this.uint32(value.length);
    this.raw(value);
  }

  /** A bytes field from hex, as trace and span ids are kept. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, WIRE_LDELIM);
    const len = hex.length >>> 1;
    this.ensure(len + 1);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = len;
    for (let i = 0; i < len; i++) {
      buf[p++] = (HEX_VALUE[hex.charCodeAt(2 * i) & 127]! << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1) & 127]!;
    }
    this.pos = p;
  }

  /** A bytes field of `length` bytes copied from `source` at `at` (an id whose bytes are at hand). */
  bytesAt(field: number, source: Uint8Array, at: number, length: number): void {
    this.tag(field, WIRE_LDELIM);
    this.ensure(length + 1);
    let p = this.pos;
    this.buf[p++] = length;
    if ((length & 3) === 0 && at + length <= source.length) {
      // Four bytes at a time (an id is 8 or 16), in the same byte order on both sides.
      let from = this.sourceView;
      if (source !== this.sourceBytes || from === undefined) {
        from = new DataView(source.buffer, source.byteOffset, source.byteLength);
        this.sourceBytes = source;
        this.sourceView = from;
      }
      const to = this.view;
      for (let i = 0; i < length; i += 4) to.setUint32(p + i, from.getUint32(at + i, true), true);
      p += length;
    } else {
      const buf = this.buf;
      for (let i = 0; i < length; i++) buf[p++] = source[at + i]!;
    }
    this.pos = p;
  }

  /** The `key` field of a KeyValue, from the cache when the key was seen before. */
  keyField(key: string): Uint8Array {
    return this.attributeKey(key).field;
  }

  /** What the writer keeps about `key` (its encoded field); one Map lookup. */
  attributeKey(key: string): AttributeKey {
    let entry = attributeKeys.get(key);
    if (entry === undefined) {
      entry = new AttributeKey(key, encodeKeyField(key));
      if (attributeKeys.size < KEY_CACHE_LIMIT) attributeKeys.set(key, entry);
    }
    return entry;
  }

  /**
   * A whole KeyValue with a short ASCII string value, lengths known up front: the common attribute,
   * written in one pass. Returns false, having written nothing, when the value does not fit that shape.
   */
  stringKeyValue(field: number, keyField: Uint8Array, value: string): boolean {
    const len = value.length;
    const kvLen = keyField.length + 4 + len;
    if (kvLen >= 128 || field > 15) return false;
    if (len >= NATIVE_STRING_FROM) return this.nativeStringKeyValue(field, keyField, value);
    let p = this.keyValueHead(field, kvLen, keyField);
    const buf = this.buf; // after the head: ensure() may have replaced the buffer
    buf[p++] = len + 2;
    buf[p++] = (1 << 3) | WIRE_LDELIM; // AnyValue.string_value
    buf[p++] = len;
    for (let i = 0; i < len; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  /**
   * stringKeyValue() for a longer value, written by Node: its UTF-8 size is known only once written,
   * and the lengths are set from it. False, having written nothing, when the KeyValue's length then
   * takes more than one byte.
   */
  private nativeStringKeyValue(field: number, keyField: Uint8Array, value: string): boolean {
    const keyLength = keyField.length;
    this.ensure(keyLength + 6 + value.length * 3);
    const p = this.keyValueHead(field, keyLength + 4 + value.length, keyField);
    const buf = this.buf; // after ensure(): the buffer no longer changes below
    const n = buf.write(value, p + 3);
    const kvLen = keyLength + 4 + n;
    if (kvLen >= 128) return false;
    buf[this.pos + 1] = kvLen; // the head's length, set from the ASCII size
    buf[p] = n + 2;
    buf[p + 1] = (1 << 3) | WIRE_LDELIM; // AnyValue.string_value
    buf[p + 2] = n;
    this.pos = p + 3 + n;
    return true;
  }

  /** Writes a KeyValue's tag, one-byte length, key field and the value field's tag; returns where the
   * value's length goes. The caller commits `pos` only once the value is written. */
  private keyValueHead(field: number, kvLen: number, keyField: Uint8Array): number {
    this.ensure(kvLen + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = (field << 3) | WIRE_LDELIM;
    buf[p++] = kvLen;
    const keyLength = keyField.length; // read once (see `capacity`)
    if (keyLength >= COPY_BY_SET) {
      buf.set(keyField, p);
      p += keyLength;
    } else {
      for (let i = 0; i < keyLength; i++) buf[p++] = keyField[i]!;
    }
    buf[p++] = (2 << 3) | WIRE_LDELIM; // KeyValue.value
    return p;
  }

  /** A whole KeyValue with a small non-negative integer value (status codes, ports, counts), in one pass. */
  intKeyValue(field: number, keyField: Uint8Array, value: number): boolean {
    if (value < 0 || value >= 0x10000000 || field > 15) return false;
    const size = varintSize(value);
    const kvLen = keyField.length + 3 + size;
    if (kvLen >= 128) return false;
    let p = this.keyValueHead(field, kvLen, keyField);
    const buf = this.buf; // after the head: ensure() may have replaced the buffer
    buf[p++] = size + 1;
    buf[p++] = (3 << 3) | WIRE_VARINT; // AnyValue.int_value
    let v = value;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
    return true;
  }

  raw(bytes: Uint8Array): void {
    const len = bytes.length;
    this.ensure(len);
    if (len >= COPY_BY_SET) {
      this.buf.set(bytes, this.pos);
      this.pos += len;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) buf[p++] = bytes[i]!;
    this.pos = p;
  }

  /**
   * Starts a length-delimited field; end it with join(). `maxBytes` bounds the content's size when
   * known, so that one length byte is reserved instead of five. Otherwise as many bytes are reserved as
   * the length of `likelyBytes` (the size such a message usually has, or will have) takes, five when
   * nothing is known: join() moves the content whenever its length takes another number of bytes than
   * was reserved, a call into V8's runtime (`copyWithin`, ~200 instructions) and a copy of all of it.
   * A span or a log record is told to expect 128 bytes to 16 KB (two length bytes), a string's
   * AnyValue its ASCII size, a request's envelope the batch it holds, which five bytes moved each time.
   */
  fork(field: number, maxBytes = Infinity, likelyBytes = maxBytes): void {
    this.tag(field, WIRE_LDELIM);
    const reserve = maxBytes < 128 ? 1 : varintSize(Math.min(likelyBytes, maxBytes));
    this.ensure(reserve);
    this.starts.push(this.pos);
    this.reserved.push(reserve);
    this.pos += reserve;
  }

  join(): void {
    const start = this.starts.pop()!;
    const reserve = this.reserved.pop()!;
    const len = this.pos - start - reserve;
    const size = varintSize(len);
    if (size !== reserve) {
      // Longer than was likely: the content moves up to make room (ensure() may replace the buffer).
      if (size > reserve) this.ensure(size - reserve);
      this.buf.copyWithin(start + size, start + reserve, this.pos);
      this.pos += size - reserve;
    }
    const buf = this.buf;
    let v = len;
    let p = start;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p] = v;
  }

  /** Back to `pos`, outside any open field: undoes a message left half-written by an exception. */
  rewind(pos: number): void {
    this.pos = pos;
    this.starts.length = 0;
    this.reserved.length = 0;
  }

  /** The written bytes, as a view on this writer's own (transferable) buffer. */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

/** A non-negative integer as varint bytes, for the few small messages written outside a ProtoWriter. */
export function varintBytes(value: number): number[] {
  const out: number[] = [];
  for (; value > 127; value = Math.floor(value / 128)) out.push((value % 128) | 128);
  out.push(value);
  return out;
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
