// Encodes log records as an OTLP ExportLogsServiceRequest (opentelemetry/proto/logs/v1/logs.proto),
// on the main thread like spans; the bytes go to the export worker without a copy.
import type { Attributes } from '@opentelemetry/api';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type ProtoWriter } from '@sightline/otlp';
import type { SightlineLogRecord } from '../logs/log-record.js';
import { unixNanoParts } from '../trace/time.js';
import { writeAnyValueBody, writeAttributes } from './otlp-attributes.js';
import { OtlpEnvelope } from './otlp-envelope.js';

const time = { hi: 0, lo: 0 };

export class OtlpLogsEncoder {
  private readonly envelope: OtlpEnvelope;

  constructor(resource: Attributes) {
    this.envelope = new OtlpEnvelope(resource);
  }

  encode(records: SightlineLogRecord[]): Uint8Array {
    return this.envelope.encode(records, 256, writeLogRecord);
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
