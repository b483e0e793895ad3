// A small protobuf reader for what the export worker reads: the OTLP request it transcodes to JSON,
// an ExportTraceServiceResponse's partial success, and a google.rpc.Status.

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end: number = buf.length) {}

  static of(bytes: Uint8Array): Reader {
    return new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 127) * 2 ** shift;
      if (byte < 128) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }

  /** A varint as a decimal string, exact beyond 2^53 and for negative int64 values. */
  varintString(): string {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 127) << shift;
      if (byte < 128) break;
      shift += 7n;
    }
    return BigInt.asIntN(64, result).toString();
  }

  fixed64String(): string {
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value.toString();
  }

  fixed32(): number {
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  double(): number | string {
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return Number.isFinite(value) ? value : String(value);
  }

  /** The length of the length-delimited field that follows, checked against what remains. */
  private length(): number {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    return len;
  }

  sub(): Reader {
    const len = this.length();
    const reader = new Reader(this.buf, this.pos + len);
    reader.pos = this.pos;
    this.pos += len;
    return reader;
  }

  string(): string {
    const len = this.length();
    const value = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return value;
  }

  hex(): string {
    const len = this.length();
    const value = this.buf.toString('hex', this.pos, this.pos + len);
    this.pos += len;
    return value;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.length();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }

  /** Calls `field` for each field of the message, which reads what it knows and returns false otherwise. */
  each(field: (number: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const wire = key & 7;
      if (!field(key >>> 3, wire)) this.skip(wire);
    }
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2; } } */
export function decodePartialSuccess(buf: Uint8Array): PartialSuccess | undefined {
  let result: PartialSuccess | undefined;
  const r = Reader.of(buf);
  r.each((n, wire) => {
    if (n !== 1 || wire !== 2) return false;
    const partial: PartialSuccess = { rejectedSpans: 0, errorMessage: '' };
    const s = r.sub();
    s.each((m, w) => {
      if (m === 1 && w === 0) partial.rejectedSpans = s.varint();
      else if (m === 2 && w === 2) partial.errorMessage = s.string();
      else return false;
      return true;
    });
    result = partial;
    return true;
  });
  return result;
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
export function decodeStatusMessage(buf: Uint8Array): string | undefined {
  let message: string | undefined;
  try {
    const r = Reader.of(buf);
    r.each((n, wire) => {
      if (n !== 2 || wire !== 2) return false;
      message = r.string();
      return true;
    });
  } catch {
    // Not a Status message: the caller falls back to the raw text.
    return undefined;
  }
  return message;
}
