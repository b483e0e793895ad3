// The small messages a receiver answers with and an exporter reads back: Export*ServiceResponse
// (a partial success) and google.rpc.Status (an error's reason).
import { Reader } from './protobuf-reader.js';
import { varintBytes } from './protobuf-writer.js';

function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varintBytes(bytes.length)]), bytes]);
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([1 << 3, ...varintBytes(code)]), lengthDelimited(2, Buffer.from(message))]);
}

/**
 * Export{Trace,Logs,Metrics}ServiceResponse { partial_success = 1 { int64 rejected_* = 1; string error_message = 2; } };
 * empty when nothing was rejected.
 */
export function encodeExportResponse(rejected: number, message: string): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const partial = Buffer.concat([Buffer.from([1 << 3, ...varintBytes(rejected)]), lengthDelimited(2, Buffer.from(message))]);
  return lengthDelimited(1, partial);
}

export interface PartialSuccess {
  /** rejected_spans, rejected_data_points or rejected_log_records: field 1 in every signal. */
  rejected: number;
  errorMessage: string;
}

/** Export*ServiceResponse { Export*PartialSuccess partial_success = 1 { int64 rejected_<items> = 1; string error_message = 2; } } */
export function decodePartialSuccess(buf: Uint8Array): PartialSuccess | undefined {
  let result: PartialSuccess | undefined;
  const r = Reader.of(buf);
  r.each((n, wire) => {
    if (n !== 1 || wire !== 2) return false;
    const partial: PartialSuccess = { rejected: 0, errorMessage: '' };
    const s = r.sub();
    s.each((m, w) => {
      if (m === 1 && w === 0) partial.rejected = s.varint();
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
