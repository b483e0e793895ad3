// Encodes log records as an OTLP ExportLogsServiceRequest (opentelemetry/proto/logs/v1/logs.proto),
// on the main thread like spans; the bytes go to the export worker without a copy.
import type { Attributes } from '@opentelemetry/api';
import { ProtoWriter, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from '@sightline/otlp';
import type { SightlineLogRecord } from '../logs/log-record.js';
import type { InstrumentationScope } from '../trace/span.js';
import { unixNanoParts } from '../trace/time.js';
import { writeAnyValueBody, writeAttributes } from './otlp-attributes.js';

const time = { hi: 0, lo: 0 };

function groupByScope(records: SightlineLogRecord[]): Map<InstrumentationScope, SightlineLogRecord[]> {
  const groups = new Map<InstrumentationScope, SightlineLogRecord[]>();
  for (const record of records) {
    const group = groups.get(record.scope);
    if (group === undefined) groups.set(record.scope, [record]);
    else group.push(record);
  }
  return groups;
}

export class OtlpLogsEncoder {
  private readonly resourceBytes: Uint8Array;
  private readonly scopeBytes = new WeakMap<InstrumentationScope, Uint8Array>();

  constructor(resource: Attributes) {
    const w = new ProtoWriter(4096);
    writeAttributes(w, 1, resource);
    this.resourceBytes = Uint8Array.from(w.finish());
  }

  encode(records: SightlineLogRecord[]): Uint8Array {
    const w = new ProtoWriter(Math.max(4096, records.length * 256));
    w.fork(1); // ResourceLogs
    w.fork(1); // Resource
    w.raw(this.resourceBytes);
    w.join();
    for (const [scope, scopeRecords] of groupByScope(records)) {
      w.fork(2); // ScopeLogs
      w.fork(1); // InstrumentationScope
      w.raw(this.scope(scope));
      w.join();
      for (const record of scopeRecords) writeLogRecord(w, record);
      if (scope.schemaUrl) w.string(3, scope.schemaUrl);
      w.join();
    }
    w.join();
    return w.finish();
  }

  private scope(scope: InstrumentationScope): Uint8Array {
    let bytes = this.scopeBytes.get(scope);
    if (bytes === undefined) {
      const w = new ProtoWriter(256);
      w.string(1, scope.name);
      if (scope.version) w.string(2, scope.version);
      bytes = Uint8Array.from(w.finish());
      this.scopeBytes.set(scope, bytes);
    }
    return bytes;
  }
}

function writeLogRecord(w: ProtoWriter, record: SightlineLogRecord): void {
  w.fork(2);
  unixNanoParts(record.time, time);
  w.tag(1, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  if (record.severityNumber > 0) {
    w.tag(2, WIRE_VARINT);
    w.uint32(record.severityNumber);
  }
  if (record.severityText) w.string(3, record.severityText);
  if (record.body !== undefined && record.body !== null) {
    w.fork(5);
    writeAnyValueBody(w, record.body);
    w.join();
  }
  writeAttributes(w, 6, record.attributes);
  if (record.droppedAttributesCount > 0) {
    w.tag(7, WIRE_VARINT);
    w.uint32(record.droppedAttributesCount);
  }
  if (record.traceId !== undefined) {
    w.tag(8, WIRE_FIXED32);
    w.fixed32(record.traceFlags & 0xff);
    w.hexBytes(9, record.traceId);
    if (record.spanId !== undefined) w.hexBytes(10, record.spanId);
  }
  unixNanoParts(record.observedTime, time);
  w.tag(11, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  if (record.eventName) w.string(12, record.eventName);
  w.join();
}
