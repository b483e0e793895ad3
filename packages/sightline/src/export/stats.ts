// What happened to spans (and, in a recorder of their own, log records) on their way out, readable
// through getStats(), and a warning about losses said at most once a minute however fast they are
// lost. Every item ended or emitted is, at any moment, exactly one of: exported, rejected, failed,
// dropped (queue full or backlog), abandoned, queued in the process, or in the export worker. The
// counts kept here and the export worker's add up to that.
import { log } from '../diag/logger.js';
import type { Signal } from '@sightline/otlp';
import type { ExportChannel } from './export-channel.js';

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

/** One signal's counts, as ExportStats names them for spans and LogStats for log records. */
export interface SignalCounts {
  /** Offered to the in-process queue (sampled spans ended, log records emitted). */
  ended: number;
  exported: number;
  rejected: number;
  failed: number;
  droppedQueueFull: number;
  droppedBacklog: number;
  abandoned: number;
  queued: number;
  inExport: number;
  queueBytes: number;
  requests: number;
  failedRequests: number;
  lastError: string | undefined;
}

const REPORT_INTERVAL_MILLIS = 60_000;

export interface StatsSettings {
  maxQueueSize: number;
  maxQueueBytes: number;
  /** Which of the export worker's signals these count (traces unless said). */
  signal?: Signal;
  /** What the items are called in warnings (spans unless said). */
  noun?: string;
  /** The variable that bounds the in-process queue, named when it overflows. */
  queueVariable?: string;
}

export class StatsRecorder {
  ended = 0;
  private droppedFull = 0;
  private failedHere = 0;
  private lastError: string | undefined = undefined;
  private worker: ExportChannel | undefined;
  private reported = { lost: 0, failedRequests: 0 };
  private lastReportAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly signal: Signal;
  private readonly noun: string;
  private readonly queueVariable: string;

  constructor(private readonly settings: StatsSettings) {
    this.signal = settings.signal ?? 'traces';
    this.noun = settings.noun ?? 'spans';
    this.queueVariable = settings.queueVariable ?? 'OTEL_BSP_MAX_QUEUE_SIZE';
  }

  /** The export worker whose counts complete these (none with the console exporter). */
  attach(worker: ExportChannel): void {
    this.worker = worker;
  }

  droppedQueueFull(count = 1): void {
    this.droppedFull += count;
    this.scheduleReport();
  }

  /** Items given up on this side of the export worker (encoding, hand-off). */
  failed(items: number, reason: string): void {
    this.failedHere += items;
    this.lastError = reason;
    this.scheduleReport();
  }

  /** The export worker reports a failed request or a drop. */
  exportError(reason: string | undefined): void {
    if (reason !== undefined) this.lastError = reason;
    this.scheduleReport();
  }

  counts(queued: number): SignalCounts {
    const w = this.worker?.stats(this.signal);
    return {
      ended: this.ended,
      exported: w?.exported ?? 0,
      rejected: w?.rejected ?? 0,
      failed: this.failedHere + (w?.failed ?? 0),
      droppedQueueFull: this.droppedFull,
      droppedBacklog: w?.droppedBacklog ?? 0,
      abandoned: w?.abandoned ?? 0,
      queued,
      inExport: w?.inExport ?? 0,
      queueBytes: w?.queuedBytes ?? 0,
      requests: w?.requests ?? 0,
      failedRequests: w?.failedRequests ?? 0,
      lastError: this.lastError,
    };
  }

  snapshot(queued: number): ExportStats {
    const c = this.counts(queued);
    return {
      spansEnded: c.ended,
      spansExported: c.exported,
      spansRejected: c.rejected,
      spansFailed: c.failed,
      spansDroppedQueueFull: c.droppedQueueFull,
      spansDroppedBacklog: c.droppedBacklog,
      spansAbandoned: c.abandoned,
      spansQueued: c.queued,
      spansInExport: c.inExport,
      exportQueueBytes: c.queueBytes,
      exportRequests: c.requests,
      failedExportRequests: c.failedRequests,
      lastExportError: c.lastError,
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
    const t = this.counts(0);
    const lost = t.droppedQueueFull + t.droppedBacklog + t.failed + t.rejected + t.abandoned;
    const newLost = lost - this.reported.lost;
    const newFailedRequests = t.failedRequests - this.reported.failedRequests;
    this.reported = { lost, failedRequests: t.failedRequests };
    if (newLost === 0 && newFailedRequests === 0) return;
    const parts: string[] = [];
    if (newLost > 0) {
      const causes = [
        t.droppedQueueFull && `queue full (${this.queueVariable}=${this.settings.maxQueueSize}): ${t.droppedQueueFull}`,
        t.droppedBacklog &&
          `backlog over SIGHTLINE_EXPORT_MAX_QUEUE_BYTES=${this.settings.maxQueueBytes} while the collector was slow or down: ${t.droppedBacklog}`,
        t.failed && `refused or failed: ${t.failed}`,
        t.rejected && `rejected by the collector: ${t.rejected}`,
        t.abandoned && `still unsent when export ended (SIGHTLINE_SHUTDOWN_TIMEOUT passed, or the collector unreachable): ${t.abandoned}`,
      ].filter(Boolean);
      const verb = this.signal === 'logs' ? 'emitted' : 'ended';
      parts.push(`${newLost} ${this.noun} lost since the last report (in total: ${causes.join(', ')}; of ${t.ended} ${verb})`);
    }
    if (newFailedRequests > 0)
      parts.push(
        `${newFailedRequests} ${this.signal === 'traces' ? '' : `${this.noun} `}export requests failed and were retried or given up`,
      );
    log.warn(`${parts.join('; ')}; last error: ${t.lastError ?? 'none'}`);
  }
}
