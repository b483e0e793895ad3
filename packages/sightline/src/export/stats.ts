// What happened to spans on their way out, readable through getStats(), and a warning about losses
// said at most once a minute however fast spans are lost. Every span ended is, at any moment, exactly
// one of: exported, rejected, failed, dropped (queue full or backlog), abandoned, queued in the
// process, or in the export worker. The counts kept here and the export worker's add up to that.
import { log } from '../diag/logger.js';
import type { ExportWorker } from './export-worker.js';

export interface ExportStats {
  /** Sampled spans that ended and were offered to the export queue. */
  spansEnded: number;
  /** Accepted by the collector. */
  spansExported: number;
  /** Refused by the collector in a partial success. */
  spansRejected: number;
  /** Given up: the collector answered with a non-retryable error (or refused a span as too large on its own), or encoding failed. */
  spansFailed: number;
  /** Dropped because the in-process queue (OTEL_BSP_MAX_QUEUE_SIZE) was full. */
  spansDroppedQueueFull: number;
  /** Dropped by the export worker to stay within SIGHTLINE_EXPORT_MAX_QUEUE_BYTES while the collector was slow or down. */
  spansDroppedBacklog: number;
  /** Still unsent when the process exited or shutdown() ended (SIGHTLINE_SHUTDOWN_TIMEOUT passed). */
  spansAbandoned: number;
  /** Waiting in the in-process queue right now. */
  spansQueued: number;
  /** Handed to the export worker and not yet delivered or given up: waiting, retrying or on the wire. */
  spansInExport: number;
  /** Encoded bytes waiting in the export worker, across signals' share of SIGHTLINE_EXPORT_MAX_QUEUE_BYTES. */
  exportQueueBytes: number;
  exportRequests: number;
  failedExportRequests: number;
  lastExportError: string | undefined;
}

const REPORT_INTERVAL_MILLIS = 60_000;

export interface StatsSettings {
  maxQueueSize: number;
  maxQueueBytes: number;
}

export class StatsRecorder {
  ended = 0;
  private droppedFull = 0;
  private failedHere = 0;
  private lastError: string | undefined = undefined;
  private worker: ExportWorker | undefined;
  private reported = { lost: 0, failedRequests: 0 };
  private lastReportAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly settings: StatsSettings) {}

  /** The export worker whose counts complete these (none with the console exporter). */
  attach(worker: ExportWorker): void {
    this.worker = worker;
  }

  droppedQueueFull(): void {
    this.droppedFull++;
    this.scheduleReport();
  }

  /** Spans given up on this side of the export worker (encoding, hand-off). */
  failed(spans: number, reason: string): void {
    this.failedHere += spans;
    this.lastError = reason;
    this.scheduleReport();
  }

  /** The export worker reports a failed request or a drop. */
  exportError(reason: string | undefined): void {
    if (reason !== undefined) this.lastError = reason;
    this.scheduleReport();
  }

  snapshot(queued: number): ExportStats {
    const w = this.worker?.stats('traces');
    return {
      spansEnded: this.ended,
      spansExported: w?.exported ?? 0,
      spansRejected: w?.rejected ?? 0,
      spansFailed: this.failedHere + (w?.failed ?? 0),
      spansDroppedQueueFull: this.droppedFull,
      spansDroppedBacklog: w?.droppedBacklog ?? 0,
      spansAbandoned: w?.abandoned ?? 0,
      spansQueued: queued,
      spansInExport: w?.inExport ?? 0,
      exportQueueBytes: w?.queuedBytes ?? 0,
      exportRequests: w?.requests ?? 0,
      failedExportRequests: w?.failedRequests ?? 0,
      lastExportError: this.lastError,
    };
  }

  private scheduleReport(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastReportAt + REPORT_INTERVAL_MILLIS - Date.now());
    this.timer = setTimeout(() => this.report(), wait);
    this.timer.unref();
  }

  /** Says what was lost since the last report; called by the timer and once at shutdown and exit. */
  report(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastReportAt = Date.now();
    const t = this.snapshot(0);
    const lost = t.spansDroppedQueueFull + t.spansDroppedBacklog + t.spansFailed + t.spansRejected + t.spansAbandoned;
    const newLost = lost - this.reported.lost;
    const newFailedRequests = t.failedExportRequests - this.reported.failedRequests;
    this.reported = { lost, failedRequests: t.failedExportRequests };
    if (newLost === 0 && newFailedRequests === 0) return;
    const parts: string[] = [];
    if (newLost > 0) {
      const causes = [
        t.spansDroppedQueueFull && `queue full (OTEL_BSP_MAX_QUEUE_SIZE=${this.settings.maxQueueSize}): ${t.spansDroppedQueueFull}`,
        t.spansDroppedBacklog &&
          `backlog over SIGHTLINE_EXPORT_MAX_QUEUE_BYTES=${this.settings.maxQueueBytes} while the collector was slow or down: ${t.spansDroppedBacklog}`,
        t.spansFailed && `refused or failed: ${t.spansFailed}`,
        t.spansRejected && `rejected by the collector: ${t.spansRejected}`,
        t.spansAbandoned && `still unsent when export ended (SIGHTLINE_SHUTDOWN_TIMEOUT): ${t.spansAbandoned}`,
      ].filter(Boolean);
      parts.push(`${newLost} spans lost since the last report (in total: ${causes.join(', ')}; of ${t.spansEnded} ended)`);
    }
    if (newFailedRequests > 0) parts.push(`${newFailedRequests} export requests failed and were retried or given up`);
    log.warn(`${parts.join('; ')}; last error: ${t.lastExportError ?? 'none'}`);
  }
}
