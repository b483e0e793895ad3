// Log records to OTLP: each batch encoded to protobuf here and transferred to the export worker,
// the same road as spans.
import { log } from '../diag/logger.js';
import type { LogRecordExporter } from '../logs/log-queue.js';
import type { SightlineLogRecord } from '../logs/log-record.js';
import type { ExportWorker } from './export-worker.js';
import type { OtlpLogsEncoder } from './otlp-logs.js';
import type { StatsRecorder } from './stats.js';

export class OtlpLogExporter implements LogRecordExporter {
  constructor(
    private readonly worker: ExportWorker,
    private readonly encoder: OtlpLogsEncoder,
    private readonly stats: StatsRecorder,
  ) {}

  export(records: SightlineLogRecord[]): void {
    if (!this.worker.running) {
      this.stats.failed(records.length, 'the export worker is not running');
      return;
    }
    let body: Uint8Array;
    try {
      body = this.encoder.encode(records);
    } catch (error) {
      log.error(`could not encode ${records.length} log records; they are lost:`, error);
      this.stats.failed(records.length, `encoding failed: ${(error as Error).message}`);
      return;
    }
    if (!this.worker.send('logs', body, records.length)) this.stats.failed(records.length, 'the export worker could not take the batch');
  }
}
