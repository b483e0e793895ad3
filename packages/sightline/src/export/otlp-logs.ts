// Log records to OTLP (opentelemetry/proto/logs/v1/logs.proto): each record is encoded as it is
// emitted, on the main thread like spans, into the queue's reusable buffers; the queue holds bytes,
// so a record is garbage as soon as the logging call returns (queued record objects outlived
// scavenges), and a batch's bytes go to the export worker without a copy.
import type { Attributes } from '@opentelemetry/api';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type ProtoWriter } from '@sightline/otlp';
import type { LogRecordSink, SightlineLogRecord } from '../logs/log-record.js';
import { idPool, idPoolLap } from '../trace/ids.js';
import { unixNanoParts } from '../trace/time.js';
import type { BatchConfig } from './batch-queue.js';
import type { ExportChannel } from './export-channel.js';
import { OtlpArena } from './otlp-arena.js';
import { OtlpArenaQueue } from './otlp-arena-queue.js';
import { writeAnyValue, writeAttributeList } from './otlp-attributes.js';
import type { StatsRecorder } from './stats.js';

const time = { hi: 0, lo: 0 };

/** Log records encoded as they are emitted, one ExportLogsServiceRequest per take(). */
export class OtlpLogArena extends OtlpArena<SightlineLogRecord> {
  constructor(resource: Attributes) {
    super(resource, writeLogRecord);
  }
}

/**
 * The batch log record processor for OTLP (OTEL_BLRP_*). A full queue hands everything over at once
 * instead of dropping (see logs/log-queue.ts); the export worker's byte bound limits memory.
 */
export class OtlpLogQueue extends OtlpArenaQueue<SightlineLogRecord> implements LogRecordSink {
  constructor(config: BatchConfig, resource: Attributes, worker: ExportChannel, stats: StatsRecorder) {
    super(config, new OtlpLogArena(resource), 'logs', worker, stats, 'hand over');
  }

  onEmit(record: SightlineLogRecord): void {
    this.offer(record);
  }
}

/** What a log record's encoding usually weighs: the writer reserves its length's bytes for it. */
const LIKELY_RECORD_BYTES = 256;

function writeLogRecord(w: ProtoWriter, record: SightlineLogRecord): void {
  w.fork(2, Infinity, LIKELY_RECORD_BYTES);
  unixNanoParts(record.time, time);
  w.tag(1, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  if (record.severityNumber > 0) {
    w.tag(2, WIRE_VARINT);
    w.uint32(record.severityNumber);
  }
  if (record.severityText) w.string(3, record.severityText);
  if (record.body !== undefined && record.body !== null) writeAnyValue(w, 5, record.body);
  writeAttributeList(w, 6, record.attributes);
  if (record.droppedAttributesCount > 0) {
    w.tag(7, WIRE_VARINT);
    w.uint32(record.droppedAttributesCount);
  }
  if (record.traceId !== undefined) {
    w.tag(8, WIRE_FIXED32);
    w.fixed32(record.traceFlags & 0xff);
    // The ids of a span Sightline made are copied from the id pool while it is on their lap.
    const lap = idPoolLap();
    if (record.traceIdLap === lap) w.bytesAt(9, idPool, record.traceIdAt, 16);
    else w.hexBytes(9, record.traceId);
    if (record.spanIdLap === lap) w.bytesAt(10, idPool, record.spanIdAt, 8);
    else if (record.spanId !== undefined) w.hexBytes(10, record.spanId);
  }
  unixNanoParts(record.observedTime, time);
  w.tag(11, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  if (record.eventName) w.string(12, record.eventName);
  w.join();
}
