// The logs side of a running Sightline: the api-logs LoggerProvider, the batch queue and the exporter
// OTEL_LOGS_EXPORTER asks for (OTLP through the shared export worker, or the console), and the
// counts getStats() reports. Flushed with the traces on forceFlush(), shutdown() and at exit.
import type { Attributes } from '@opentelemetry/api';
import type { OtlpConfig } from '../export/otlp-config.js';
import { ConsoleLogExporter } from '../export/console-log-exporter.js';
import type { ExportChannel } from '../export/export-channel.js';
import { OtlpLogQueue } from '../export/otlp-logs.js';
import { StatsRecorder, type SignalCounts } from '../export/stats.js';
import { log } from '../diag/logger.js';
import { LogRecordQueue } from '../logs/log-queue.js';
import type { LogRecordSink } from '../logs/log-record.js';
import { SightlineLoggerProvider } from '../logs/logger-provider.js';
import type { LogsSettings } from '../logs/settings.js';

/** The log records' share of getStats(): every record emitted is exactly one of the others. */
export interface LogStats {
  logRecordsEmitted: number;
  logRecordsExported: number;
  logRecordsRejected: number;
  logRecordsFailed: number;
  /** Dropped by the export worker to stay within SIGHTLINE_EXPORT_MAX_QUEUE_BYTES while the collector was slow or down. */
  logRecordsDroppedBacklog: number;
  /** Still unsent when the process exited or shutdown() ended (SIGHTLINE_SHUTDOWN_TIMEOUT), or written after the final flush. */
  logRecordsAbandoned: number;
  logRecordsQueued: number;
  logRecordsInExport: number;
}

export const NO_LOG_STATS: LogStats = Object.freeze({
  logRecordsEmitted: 0,
  logRecordsExported: 0,
  logRecordsRejected: 0,
  logRecordsFailed: 0,
  logRecordsDroppedBacklog: 0,
  logRecordsAbandoned: 0,
  logRecordsQueued: 0,
  logRecordsInExport: 0,
});

export class LogsPipeline {
  readonly provider: SightlineLoggerProvider;
  private readonly queue: LogRecordSink & Pick<LogRecordQueue, 'length' | 'unflushed' | 'drainForFlush' | 'close'>;
  private readonly stats: StatsRecorder;
  /** Records emitted after close(), which are not exported. */
  private late = 0;

  constructor(
    settings: LogsSettings & { otlp: OtlpConfig },
    resource: Attributes,
    worker: ExportChannel | undefined,
    maxQueueBytes: number,
  ) {
    this.stats = new StatsRecorder({
      signal: 'logs',
      noun: 'log records',
      queueVariable: 'OTEL_BLRP_MAX_QUEUE_SIZE',
      maxQueueSize: settings.batch.maxQueueSize,
      maxQueueBytes,
    });
    if (worker !== undefined && settings.exporter === 'otlp') {
      this.stats.attach(worker);
      this.queue = new OtlpLogQueue(settings.batch, resource, worker, this.stats);
    } else this.queue = new LogRecordQueue(settings.batch, new ConsoleLogExporter(), this.stats);
    this.provider = new SightlineLoggerProvider({ limits: settings.limits, minSeverity: settings.minSeverity }, this.queue, () => {
      // Not silent: typically an 'exit' listener the app added after init(), which runs after the final flush.
      this.late++;
      if (this.late === 1)
        log.warn(
          'a log record was written after the final flush (an exit listener added after Sightline started?); records written this late are not exported',
        );
    });
  }

  /** The export worker reports a failed request or a drop. */
  exportError(reason: string | undefined): void {
    this.stats.exportError(reason);
  }

  get unflushed(): boolean {
    return this.queue.unflushed;
  }

  /** Hands everything queued to the exporter (before the export worker's flush). */
  drainForFlush(): void {
    this.queue.drainForFlush();
  }

  /** The last hand-over: records emitted afterwards are not taken. */
  close(): void {
    this.provider.close();
    this.queue.close();
  }

  report(): void {
    this.stats.report();
  }

  snapshot(): LogStats {
    const c: SignalCounts = this.stats.counts(this.queue.length);
    return {
      logRecordsEmitted: c.ended + this.late,
      logRecordsExported: c.exported,
      logRecordsRejected: c.rejected,
      logRecordsFailed: c.failed,
      logRecordsDroppedBacklog: c.droppedBacklog + c.droppedQueueFull,
      logRecordsAbandoned: c.abandoned + this.late,
      logRecordsQueued: c.queued,
      logRecordsInExport: c.inExport,
    };
  }
}
