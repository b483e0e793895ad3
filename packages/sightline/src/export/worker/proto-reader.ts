// Just enough protobuf decoding to read an ExportTraceServiceResponse's partial success and a google.rpc.Status.

interface Field {
  field: number;
  varint?: number;
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const byte = buf[pos++]!;
      result += (byte & 127) * 2 ** shift;
      if (byte < 128) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { field, varint: varint() };
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated field');
      yield { field, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2; } } */
export function decodePartialSuccess(buf: Uint8Array): PartialSuccess | undefined {
  for (const f of fields(buf)) {
    if (f.field !== 1 || f.bytes === undefined) continue;
    const result: PartialSuccess = { rejectedSpans: 0, errorMessage: '' };
    for (const g of fields(f.bytes)) {
      if (g.field === 1 && g.varint !== undefined) result.rejectedSpans = g.varint;
      if (g.field === 2 && g.bytes !== undefined) result.errorMessage = Buffer.from(g.bytes).toString('utf8');
    }
    return result;
  }
  return undefined;
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
export function decodeStatusMessage(buf: Uint8Array): string | undefined {
  try {
    for (const f of fields(buf)) if (f.field === 2 && f.bytes !== undefined) return Buffer.from(f.bytes).toString('utf8');
  } catch {
    // Not a Status message: the caller falls back to the raw text.
  }
  return undefined;
}
