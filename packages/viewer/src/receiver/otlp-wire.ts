// The few protobuf messages the receiver writes (responses) or only counts (metrics, which are
// accepted but not stored yet). Requests are decoded by the transcoder shared with the SDK.

import { Reader } from '../../../sightline/src/export/otlp-decode/proto-reader.js';

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 127) {
    out.push((value % 128) | 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function lengthDelimited(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes]);
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([1 << 3, ...varint(code)]), lengthDelimited(2, Buffer.from(message))]);
}

/**
 * Export{Trace,Logs,Metrics}ServiceResponse { partial_success = 1 { int64 rejected_* = 1; string error_message = 2; } };
 * empty when nothing was rejected.
 */
export function encodeExportResponse(rejected: number, message: string): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const partial = Buffer.concat([Buffer.from([1 << 3, ...varint(rejected)]), lengthDelimited(2, Buffer.from(message))]);
  return lengthDelimited(1, partial);
}

/** Counts the metrics in an encoded metrics export request, checking it is well formed. */
export function countProtobufRecords(bytes: Uint8Array): number {
  // repeated ResourceMetrics = 1 { repeated ScopeMetrics = 2 { repeated Metric = 2 } }.
  let count = 0;
  const request = Reader.of(bytes);
  request.each((n) => {
    if (n !== 1) return false;
    const resource = request.sub();
    resource.each((m) => {
      if (m !== 2) return false;
      const scope = resource.sub();
      scope.each((k) => {
        if (k !== 2) return false;
        scope.sub();
        count++;
        return true;
      });
      return true;
    });
    return true;
  });
  return count;
}
