// Size and age limits evict in arrival order: whole traces (with their log records), batches of log
// records, of metric points and of profile samples, whichever arrived first. A size overrun evicts down to 90% of the limit, so a store at
// its limit does not evict on every batch.
import type { Sqlite, Statement } from './sqlite.js';
import type { StoreState } from './state.js';

const EVICT_TO = 0.9;

export interface Limits {
  /** Evict the oldest traces and log batches once the stored bytes exceed this. */
  maxBytes: number;
  /** Evict what was first stored longer ago than this; 0 keeps it until the size limit. */
  maxAgeMs: number;
}

export class Eviction {
  private lastAgeCheck = 0;
  private readonly oldest: Statement;
  private readonly olderThan: Statement;
  private readonly deleteSpans: Statement;
  private readonly deleteServices: Statement;
  private readonly deleteTraceRow: Statement;
  private readonly oldestLogSeq: Statement;
  private readonly oldestTraceSeq: Statement;
  private readonly deleteLogBatchRows: Statement;
  private readonly deleteTraceLogs: Statement;
  private readonly oldestLogBatch: Statement;
  private readonly oldestMetricSeq: Statement;
  private readonly oldestMetricBatch: Statement;
  private readonly deleteMetricBatchRows: Statement;
  private readonly oldestProfileSeq: Statement;
  private readonly oldestProfileBatch: Statement;
  private readonly deleteProfileBatchRows: Statement;

  constructor(
    private readonly db: Sqlite,
    private readonly state: StoreState,
    private readonly limits: Limits,
  ) {
    this.oldest = db.prepare('SELECT trace_id AS traceId, first_seq AS seq FROM traces ORDER BY first_seq LIMIT ?');
    this.olderThan = db.prepare('SELECT trace_id FROM traces WHERE received_ms < ? ORDER BY first_seq LIMIT 1000', { pluck: true });
    this.deleteSpans = db.prepare('DELETE FROM spans WHERE trace_id = ?');
    this.deleteServices = db.prepare('DELETE FROM trace_services WHERE trace_id = ?');
    this.deleteTraceRow = db.prepare('DELETE FROM traces WHERE trace_id = ? RETURNING bytes', { pluck: true });
    this.oldestLogSeq = db.prepare('SELECT min(seq) FROM logs', { pluck: true });
    this.oldestTraceSeq = db.prepare('SELECT min(first_seq) FROM traces', { pluck: true });
    this.deleteLogBatchRows = db.prepare('DELETE FROM logs WHERE seq = ? RETURNING bytes', { pluck: true });
    this.deleteTraceLogs = db.prepare('DELETE FROM logs WHERE trace_id = ? RETURNING bytes', { pluck: true });
    this.oldestLogBatch = db.prepare('SELECT seq, received_ms AS receivedMs FROM logs ORDER BY seq LIMIT 1');
    this.oldestMetricSeq = db.prepare('SELECT min(seq) FROM metric_points', { pluck: true });
    this.oldestMetricBatch = db.prepare('SELECT seq, received_ms AS receivedMs FROM metric_points ORDER BY seq LIMIT 1');
    this.deleteMetricBatchRows = db.prepare('DELETE FROM metric_points WHERE seq = ? RETURNING bytes', { pluck: true });
    this.oldestProfileSeq = db.prepare('SELECT min(seq) FROM profile_samples', { pluck: true });
    this.oldestProfileBatch = db.prepare('SELECT seq, received_ms AS receivedMs FROM profile_samples ORDER BY seq LIMIT 1');
    this.deleteProfileBatchRows = db.prepare('DELETE FROM profile_samples WHERE seq = ? RETURNING bytes', { pluck: true });
  }

  /** After an ingest: evicts what is over the size limit, and (at most once a second) what is too old. */
  enforce(): void {
    if (this.state.totalBytes > this.limits.maxBytes) {
      const target = this.limits.maxBytes * EVICT_TO;
      this.db.transaction(() => {
        while (this.state.totalBytes > target) {
          // Whichever arrived first goes first: the oldest trace, batch of log records or batch of metric points.
          const traceSeq = this.oldestTraceSeq.get() as number | null;
          const logSeq = this.oldestLogSeq.get() as number | null;
          const metricSeq = this.oldestMetricSeq.get() as number | null;
          const profileSeq = this.oldestProfileSeq.get() as number | null;
          if (traceSeq === null && logSeq === null && metricSeq === null && profileSeq === null) break;
          if (profileSeq !== null && [traceSeq, logSeq, metricSeq].every((other) => other === null || profileSeq < other)) {
            this.deleteProfileBatch(profileSeq);
            continue;
          }
          if (metricSeq !== null && (traceSeq === null || metricSeq < traceSeq) && (logSeq === null || metricSeq < logSeq)) {
            this.deleteMetricBatch(metricSeq);
            continue;
          }
          if (logSeq !== null && (traceSeq === null || logSeq < traceSeq)) {
            this.deleteLogBatch(logSeq);
            continue;
          }
          const oldest = this.oldest.all(256) as Array<{ traceId: string; seq: number }>;
          for (const t of oldest) {
            if (logSeq !== null && t.seq > logSeq) break;
            this.deleteTrace(t.traceId);
            if (this.state.totalBytes <= target) break;
          }
        }
      });
    }
    const now = Date.now();
    if (this.limits.maxAgeMs > 0 && now - this.lastAgeCheck > 1000) {
      this.lastAgeCheck = now;
      this.evictOlderThan(now - this.limits.maxAgeMs);
    }
  }

  /** Drops traces, log records and metric points first stored before `cutoffMs` (called at ingest and by the server's timer). */
  evictOlderThan(cutoffMs: number): void {
    for (;;) {
      const ids = this.olderThan.all(cutoffMs) as string[];
      if (ids.length === 0) break;
      this.db.transaction(() => ids.forEach((id) => this.deleteTrace(id)));
    }
    // Batches are numbered in arrival order, so the oldest batch (found by index) is the one to test.
    this.db.transaction(() => {
      for (;;) {
        const oldest = this.oldestLogBatch.get() as { seq: number; receivedMs: number } | undefined;
        if (!oldest || oldest.receivedMs >= cutoffMs) break;
        this.deleteLogBatch(oldest.seq);
      }
      for (;;) {
        const oldest = this.oldestMetricBatch.get() as { seq: number; receivedMs: number } | undefined;
        if (!oldest || oldest.receivedMs >= cutoffMs) break;
        this.deleteMetricBatch(oldest.seq);
      }
      for (;;) {
        const oldest = this.oldestProfileBatch.get() as { seq: number; receivedMs: number } | undefined;
        if (!oldest || oldest.receivedMs >= cutoffMs) break;
        this.deleteProfileBatch(oldest.seq);
      }
    });
  }

  private deleteTrace(traceId: string): void {
    this.deleteSpans.run(traceId);
    this.deleteServices.run(traceId);
    const bytes = this.deleteTraceRow.get(traceId) as number | undefined;
    if (bytes !== undefined) {
      this.state.totalBytes -= bytes;
      this.state.evictedTraces++;
    }
    this.forgetLogs(this.deleteTraceLogs.all(traceId) as number[]);
  }

  private deleteMetricBatch(seq: number): void {
    const bytes = this.deleteMetricBatchRows.all(seq) as number[];
    for (const b of bytes) this.state.totalBytes -= b;
    this.state.evictedMetricPoints += bytes.length;
  }

  private deleteProfileBatch(seq: number): void {
    const bytes = this.deleteProfileBatchRows.all(seq) as number[];
    for (const b of bytes) this.state.totalBytes -= b;
    this.state.evictedProfileSamples += bytes.length;
  }

  private deleteLogBatch(seq: number): void {
    this.forgetLogs(this.deleteLogBatchRows.all(seq) as number[]);
  }

  private forgetLogs(bytes: number[]): void {
    for (const b of bytes) this.state.totalBytes -= b;
    this.state.evictedLogRecords += bytes.length;
  }
}
