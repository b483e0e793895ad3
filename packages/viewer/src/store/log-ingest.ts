// Stores log records, each request's records as one arrival batch: evicted together, or each with
// its trace if that goes first.
import type { LogRow } from './normalize.js';
import type { Sqlite, Statement } from './sqlite.js';
import type { Interned, StoreState } from './state.js';

export class LogIngest {
  private readonly insertLog: Statement;

  constructor(
    private readonly db: Sqlite,
    private readonly interned: Interned,
    private readonly state: StoreState,
  ) {
    this.insertLog = db.prepare(
      `INSERT INTO logs (seq, received_ms, trace_id, span_id, time_ns, severity_number, severity_text, service, resource_id, scope_id, bytes, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Stores log records; returns the ids of the traces they belong to, so an open trace page can show them. */
  ingest(records: LogRow[]): string[] {
    if (records.length === 0) return [];
    const traceIds = new Set<string>();
    const receivedMs = Date.now();
    const seq = ++this.state.seq;
    this.db.transaction(() => {
      for (const log of records) {
        const bytes = log.body.length + 100;
        this.insertLog.run(
          seq,
          receivedMs,
          log.traceId,
          log.spanId,
          log.timeNs,
          log.severityNumber,
          log.severityText,
          log.serviceName,
          this.interned.resourceId(log.resource),
          this.interned.scopeId(log.scope),
          bytes,
          log.body,
        );
        this.state.totalBytes += bytes;
        if (log.traceId) traceIds.add(log.traceId);
      }
    });
    return [...traceIds];
  }
}
