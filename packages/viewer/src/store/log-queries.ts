// Reading log records: a trace's records for its page, and the search of the Logs page.
import type { Sqlite, Statement } from './sqlite.js';
import { Where } from './where.js';

export interface StoredLog {
  /** The record in OTLP/JSON form: hex ids, integer severity, decimal-string times. */
  record: Record<string, unknown>;
  serviceName: string;
  resource: string;
  scope: string;
}

export interface LogQuery {
  service?: string | undefined;
  traceId?: string | undefined;
  /** Records at or above this severity number (9 = INFO, 13 = WARN, 17 = ERROR). */
  minSeverity?: number | undefined;
  /** Case-insensitive text looked for in the body and attributes. */
  text?: string | undefined;
  sinceNs?: bigint | undefined;
  untilNs?: bigint | undefined;
  limit: number;
}

export class LogQueries {
  private readonly byTrace: Statement;
  private readonly serviceList: Statement;

  constructor(private readonly db: Sqlite) {
    this.byTrace = db.prepare(
      `SELECT l.trace_id AS traceId, l.span_id AS spanId, l.time_ns AS timeNs, l.severity_number AS severityNumber,
       l.severity_text AS severityText, l.service AS serviceName, l.body AS body, r.body AS resource, c.body AS scope
       FROM logs l JOIN resources r ON r.id = l.resource_id JOIN scopes c ON c.id = l.scope_id
       WHERE l.trace_id = ? ORDER BY l.time_ns, l.id LIMIT ?`,
      { bigints: true },
    );
    this.serviceList = db.prepare('SELECT DISTINCT service FROM logs ORDER BY service', { pluck: true });
  }

  /** A trace's log records in time order (at most `limit`). */
  traceLogs(traceId: string, limit = 10_000): StoredLog[] {
    return (this.byTrace.all(traceId, limit) as Array<Record<string, string | bigint>>).map(storedLog);
  }

  /** Log records newest first, filtered by service, trace, severity, text and time. */
  search(q: LogQuery): StoredLog[] {
    const where = new Where();
    if (q.service) where.add('l.service = ?', q.service);
    if (q.traceId) where.add('l.trace_id = ?', q.traceId);
    if (q.minSeverity) where.add('l.severity_number >= ?', q.minSeverity);
    if (q.sinceNs !== undefined) where.add('l.time_ns >= ?', q.sinceNs);
    if (q.untilNs !== undefined) where.add('l.time_ns <= ?', q.untilNs);
    // A scan of the JSON text (ASCII case-insensitive); JSON escapes the needle as it does the body.
    if (q.text) where.add('instr(lower(l.body), lower(?)) > 0', JSON.stringify(q.text).slice(1, -1));
    const sql = `SELECT l.trace_id AS traceId, l.span_id AS spanId, l.time_ns AS timeNs, l.severity_number AS severityNumber,
        l.severity_text AS severityText, l.service AS serviceName, l.body AS body, r.body AS resource, c.body AS scope
      FROM logs l JOIN resources r ON r.id = l.resource_id JOIN scopes c ON c.id = l.scope_id
      ${where}
      ORDER BY l.time_ns DESC, l.id DESC LIMIT ?`;
    where.params.push(q.limit);
    return (this.db.prepare(sql, { bigints: true }).all(...where.params) as Array<Record<string, string | bigint>>).map(storedLog);
  }

  /** Services that sent log records. */
  services(): string[] {
    return this.serviceList.all() as string[];
  }
}

function storedLog(r: Record<string, string | bigint>): StoredLog {
  const record: Record<string, unknown> = { timeUnixNano: String(r.timeNs) };
  if (r.severityNumber) record.severityNumber = Number(r.severityNumber);
  if (r.severityText) record.severityText = r.severityText;
  Object.assign(record, JSON.parse(r.body as string));
  if (r.traceId) record.traceId = r.traceId;
  if (r.spanId) record.spanId = r.spanId;
  return { record, serviceName: r.serviceName as string, resource: r.resource as string, scope: r.scope as string };
}
