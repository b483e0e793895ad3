// A small protobuf reader for OTLP: the SDK's export worker reads the requests it transcodes to JSON
// and the collector's answers; the viewer reads whatever any client sends it, so every read is
// bounds- and wire-type-checked and fails with ProtoError.

/** Thrown for any input that is not a well-formed protobuf message of the expected shape. */
export class ProtoError extends Error {}

export class Reader {
  pos = 0;
  /** Wire type of the field being read, so a reader of the wrong kind refuses it instead of misreading. */
  private wire = -1;
  constructor(
    readonly buf: Buffer,
    readonly end: number = buf.length,
  ) {}

  static of(bytes: Uint8Array): Reader {
    return new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  private expect(wire: number, what: string): void {
    if (this.wire !== wire && this.wire !== -1) throw new ProtoError(`${what} field has wire type ${this.wire}`);
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new ProtoError('truncated field');
  }

  private rawVarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 127) * 2 ** shift;
      if (byte < 128) return result;
      shift += 7;
      if (shift > 63) throw new ProtoError('varint too long');
    }
  }

  varint(): number {
    this.expect(0, 'varint');
    return this.rawVarint();
  }

  /** A varint as a decimal string, exact beyond 2^53 and for negative int64 values. */
  varintString(): string {
    this.expect(0, 'varint');
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 127) << shift;
      if (byte < 128) break;
      shift += 7n;
      if (shift > 63n) throw new ProtoError('varint too long');
    }
    return BigInt.asIntN(64, result).toString();
  }

  fixed64String(): string {
    this.expect(1, 'fixed64');
    this.need(8);
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value.toString();
  }

  /** sfixed64 (a metric's as_int) as a signed decimal string. */
  sfixed64String(): string {
    this.expect(1, 'sfixed64');
    this.need(8);
    const value = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return value.toString();
  }

  /** sint32 (zigzag-encoded varint): exponential histogram scales and offsets. */
  sint32(): number {
    this.expect(0, 'sint32');
    const raw = this.rawVarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /**
   * A repeated scalar field, packed (one length-delimited run, what proto3 writers send) or not (one
   * field per value, which readers must also accept): the value or values at the current field.
   */
  repeated<T>(read: (r: Reader) => T, scalarWire: number): T[] {
    if (this.wire !== 2) {
      this.expect(scalarWire, 'repeated scalar');
      return [read(this)];
    }
    const packed = this.sub();
    packed.wire = scalarWire;
    const out: T[] = [];
    while (packed.pos < packed.end) out.push(read(packed));
    return out;
  }

  fixed32(): number {
    this.expect(5, 'fixed32');
    this.need(4);
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  double(): number | string {
    this.expect(1, 'double');
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return Number.isFinite(value) ? value : String(value);
  }

  /** The length of the length-delimited field that follows, checked against what remains. */
  private length(): number {
    this.expect(2, 'length-delimited');
    const len = this.rawVarint();
    this.need(len);
    return len;
  }

  sub(): Reader {
    const len = this.length();
    const reader = new Reader(this.buf, this.pos + len);
    reader.pos = this.pos;
    this.pos += len;
    return reader;
  }

  /** A length-delimited field's bytes as text in the given encoding. */
  private bytesAs(encoding: BufferEncoding): string {
    const len = this.length();
    const value = this.buf.toString(encoding, this.pos, this.pos + len);
    this.pos += len;
    return value;
  }

  string(): string {
    return this.bytesAs('utf8');
  }

  hex(): string {
    return this.bytesAs('hex');
  }

  /** Bytes as base64, protobuf's JSON mapping for a `bytes` value that is not an id. */
  base64(): string {
    return this.bytesAs('base64');
  }

  skip(wire: number): void {
    if (wire === 0) {
      this.rawVarint();
      return;
    }
    const len = wire === 1 ? 8 : wire === 5 ? 4 : wire === 2 ? this.rawVarint() : -1;
    if (len === -1) throw new ProtoError(`unexpected wire type ${wire}`);
    this.need(len);
    this.pos += len;
  }

  /** Calls `field` for each field of the message, which reads what it knows and returns false otherwise. */
  each(field: (number: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.rawVarint();
      const wire = key & 7;
      const number = Math.floor(key / 8);
      if (number === 0) throw new ProtoError('field number 0');
      this.wire = wire;
      const read = field(number, wire);
      this.wire = -1;
      if (!read) this.skip(wire);
    }
  }
}
