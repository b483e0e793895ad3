// A minimal protobuf writer for the OTLP messages Sightline sends. Nested messages reserve five bytes
// for their length and are moved back once the length is known, so everything is written in one pass.

const LENGTH_RESERVE = 5;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LDELIM = 2;
export const WIRE_FIXED32 = 5;

export class ProtoWriter {
  buf: Buffer;
  pos = 0;
  private readonly starts: number[] = [];

  constructor(initialSize = 64 * 1024) {
    // Slow (unpooled) allocation: the finished buffer is transferred to the export worker whole.
    this.buf = Buffer.allocUnsafeSlow(initialSize);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
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
    this.ensure(10);
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 127n) {
      this.buf[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(hi: number, lo: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(lo >>> 0, this.pos);
    this.buf.writeUInt32LE(hi >>> 0, this.pos + 4);
    this.pos += 8;
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
    // Up to 42 UTF-16 units fit in 126 UTF-8 bytes: a one-byte length, written after the text.
    if (len < 43) {
      const written = this.buf.write(value, this.pos + 1, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    this.uint32(Buffer.byteLength(value));
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** A bytes field from lowercase hex, as trace and span ids are kept. */
  hexBytes(field: number, hex: string): void {
    this.tag(field, WIRE_LDELIM);
    const len = hex.length >>> 1;
    this.ensure(len + 1);
    this.buf[this.pos++] = len;
    this.pos += this.buf.write(hex, this.pos, 'hex');
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a length-delimited field; end it with join(). */
  fork(field: number): void {
    this.tag(field, WIRE_LDELIM);
    this.ensure(LENGTH_RESERVE);
    this.starts.push(this.pos);
    this.pos += LENGTH_RESERVE;
  }

  join(): void {
    const start = this.starts.pop()!;
    const len = this.pos - start - LENGTH_RESERVE;
    const size = varintSize(len);
    if (size < LENGTH_RESERVE) {
      this.buf.copyWithin(start + size, start + LENGTH_RESERVE, this.pos);
      this.pos -= LENGTH_RESERVE - size;
    }
    let v = len;
    let p = start;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** The written bytes, as a view on this writer's own (transferable) buffer. */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
