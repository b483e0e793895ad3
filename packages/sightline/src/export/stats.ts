// Counters of what happened to spans on their way out, readable through getStats(), and a warning
// about losses that is said at most once a minute however fast spans are lost.
import { log } from '../diag/logger.js';
import type { WorkerStats } from './worker/protocol.js';

export interface ExportStats {
  /** Sampled spans that ended and were offered to the export queue. */
  spansEnded: number;
  /** Dropped because the in-process queue (OTEL_BSP_MAX_QUEUE_SIZE) was full. */
  spansDroppedQueueFull: number;
  /** Dropped by the export worker to stay within its bound while the collector was slow or down. */
  spansDroppedBacklog: number;
  /** Accepted by the collector. */
  spansExported: number;
  /** Refused by the collector in a partial success. */
  spansRejected: number;
  /** Given up: the collector answered with a non-retryable error, or encoding failed. */
  spansFailed: number;
  exportRequests: number;
  failedExportRequests: number;
  lastExportError: string | undefined;
}

const REPORT_INTERVAL_MILLIS = 60_000;

export class StatsRecorder {
  readonly stats: ExportStats = {
    spansEnded: 0,
    spansDroppedQueueFull: 0,
    spansDroppedBacklog: 0,
    spansExported: 0,
    spansRejected: 0,
    spansFailed: 0,
    exportRequests: 0,
    failedExportRequests: 0,
    lastExportError: undefined,
  };
  private reported = { lost: 0, failedRequests: 0 };
  private lastReportAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly queueSize: number) {}

  droppedQueueFull(): void {
    this.stats.spansDroppedQueueFull++;
    this.scheduleReport();
  }

  failed(spans: number, reason: string): void {
    this.stats.spansFailed += spans;
    this.stats.lastExportError = reason;
    this.scheduleReport();
  }

  fromWorker(s: WorkerStats): void {
    const t = this.stats;
    t.spansExported += s.exported;
    t.spansRejected += s.rejected;
    t.spansFailed += s.failed;
    t.spansDroppedBacklog += s.dropped;
    t.exportRequests += s.requests;
    t.failedExportRequests += s.failedRequests;
    if (s.lastError !== undefined) t.lastExportError = s.lastError;
    if (s.failed || s.dropped || s.failedRequests) this.scheduleReport();
  }

  private scheduleReport(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastReportAt + REPORT_INTERVAL_MILLIS - Date.now());
    this.timer = setTimeout(() => this.report(), wait);
    this.timer.unref();
  }

  /** Says what was lost since the last report; called by the timer and once at shutdown. */
  report(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastReportAt = Date.now();
    const t = this.stats;
    const lost = t.spansDroppedQueueFull + t.spansDroppedBacklog + t.spansFailed + t.spansRejected;
    const newLost = lost - this.reported.lost;
    const newFailedRequests = t.failedExportRequests - this.reported.failedRequests;
    this.reported = { lost, failedRequests: t.failedExportRequests };
    if (newLost === 0 && newFailedRequests === 0) return;
    const parts: string[] = [];
    if (newLost > 0) {
      parts.push(
        `${newLost} spans lost (queue full: ${t.spansDroppedQueueFull}, backlog over OTEL_BSP_MAX_QUEUE_SIZE=${this.queueSize}: ${t.spansDroppedBacklog}, failed: ${t.spansFailed}, rejected by the collector: ${t.spansRejected}, in total)`,
      );
    }
    if (newFailedRequests > 0) parts.push(`${newFailedRequests} export requests failed and were retried or given up`);
    log.warn(`${parts.join('; ')}; last error: ${t.lastExportError ?? 'none'}`);
  }
}
