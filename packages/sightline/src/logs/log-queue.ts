// The batch log record processor (OTEL_BLRP_*) for the console exporter; OTLP has its own, which
// encodes each record as it comes (export/otlp-logs.ts). Unlike spans, a full queue does not drop: apps log
// in synchronous bursts (a loop, a dump at startup) during which no timer can run, so the queue hands
// what it holds to the exporter at once, on the emitting call, and the export worker's byte bound
// (SIGHTLINE_EXPORT_MAX_QUEUE_BYTES) is what bounds memory. Its drops are counted there.
import { BatchQueue, type BatchConfig, type BatchExporter } from '../export/batch-queue.js';
import type { StatsRecorder } from '../export/stats.js';
import type { LogRecordSink, SightlineLogRecord } from './log-record.js';

/** OTEL_BLRP_*: the batch log record processor's settings. */
export type LogBatchConfig = BatchConfig;

export type LogRecordExporter = BatchExporter<SightlineLogRecord>;

export class LogRecordQueue extends BatchQueue<SightlineLogRecord> implements LogRecordSink {
  constructor(config: LogBatchConfig, exporter: LogRecordExporter, stats: StatsRecorder) {
    super(config, exporter, stats, 'hand over');
  }

  onEmit(record: SightlineLogRecord): void {
    this.offer(record);
  }
}
