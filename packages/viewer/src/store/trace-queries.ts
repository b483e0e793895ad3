// Reading traces: by id (whole, as an outline for the waterfall, or one span), the search over the
// per-trace summary rows, and the service and operation lists for the search form.
import type { Sqlite, Statement } from './sqlite.js';
import { Where } from './where.js';

export interface TraceQuery {
  service?: string | undefined;
  name?: string | undefined;
  errorsOnly?: boolean | undefined;
  minDurationNs?: bigint | undefined;
  maxDurationNs?: bigint | undefined;
  /** key=value pairs matched against span or resource attributes; all must match. */
  attributes?: Array<[string, string]> | undefined;
  sinceNs?: bigint | undefined;
  untilNs?: bigint | undefined;
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startTimeUnixNano: string;
  durationNano: string;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface StoredSpan {
  /** The span in OTLP/JSON form: hex ids, integer enums, decimal-string times. */
  span: Record<string, unknown>;
  serviceName: string;
  resource: string;
  scope: string;
}

/** [spanId, parentSpanId ('' for a root), name, kind, service, startNs, endNs, statusCode]. */
export type OutlineRow = [string, string, string, bigint, string, bigint, bigint, bigint];

export class TraceQueries {
  private readonly traceSpans: Statement;
  private readonly outline: Statement;
  private readonly oneSpan: Statement;
  private readonly serviceList: Statement;
  private readonly operationList: Statement;

  constructor(private readonly db: Sqlite) {
    const spanColumns = `s.trace_id AS traceId, s.span_id AS spanId, s.parent_span_id AS parentSpanId, s.name AS name, s.kind AS kind,
       s.start_ns AS startNs, s.end_ns AS endNs, s.status_code AS statusCode, s.status_message AS statusMessage,
       s.body AS body, s.service AS serviceName, r.body AS resource, c.body AS scope
       FROM spans s JOIN resources r ON r.id = s.resource_id JOIN scopes c ON c.id = s.scope_id`;
    this.traceSpans = db.prepare(`SELECT ${spanColumns} WHERE s.trace_id = ? ORDER BY s.start_ns`, { bigints: true });
    // The waterfall's columns only, as arrays: a trace of 100,000 spans is read without its JSON bodies.
    this.outline = db.prepare(
      'SELECT span_id, parent_span_id, name, kind, service, start_ns, end_ns, status_code FROM spans WHERE trace_id = ? ORDER BY start_ns',
      { arrays: true, bigints: true },
    );
    this.oneSpan = db.prepare(`SELECT ${spanColumns} WHERE s.trace_id = ? AND s.span_id = ?`, { bigints: true });
    this.serviceList = db.prepare('SELECT DISTINCT service FROM trace_services ORDER BY service', { pluck: true });
    this.operationList = db.prepare('SELECT DISTINCT name FROM spans WHERE service = ? ORDER BY name', { pluck: true });
  }

  trace(traceId: string): StoredSpan[] {
    return (this.traceSpans.all(traceId) as Array<Record<string, string | bigint>>).map(storedSpan);
  }

  /** One span of a trace, whole; undefined when it is not stored. */
  span(traceId: string, spanId: string): StoredSpan | undefined {
    const row = this.oneSpan.get(traceId, spanId) as Record<string, string | bigint> | undefined;
    return row === undefined ? undefined : storedSpan(row);
  }

  /** A trace's spans as the waterfall needs them, in start order: no attributes, events or resource. */
  traceOutline(traceId: string): OutlineRow[] {
    return this.outline.all(traceId) as OutlineRow[];
  }

  services(): string[] {
    return this.serviceList.all() as string[];
  }

  operations(service: string): string[] {
    return this.operationList.all(service) as string[];
  }

  search(q: TraceQuery): TraceSummary[] {
    const where = new Where();
    if (q.sinceNs !== undefined) where.add('t.start_ns >= ?', q.sinceNs);
    if (q.untilNs !== undefined) where.add('t.start_ns <= ?', q.untilNs);
    if (q.errorsOnly) where.add('t.error_count > 0');
    if (q.minDurationNs !== undefined) where.add('t.end_ns - t.start_ns >= ?', q.minDurationNs);
    if (q.maxDurationNs !== undefined) where.add('t.end_ns - t.start_ns <= ?', q.maxDurationNs);
    if (q.service && !q.name) {
      where.add('EXISTS (SELECT 1 FROM trace_services ts WHERE ts.service = ? AND ts.trace_id = t.trace_id)', q.service);
    }
    if (q.name) {
      if (q.service)
        where.add('EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND s.name = ? AND s.service = ?)', q.name, q.service);
      else where.add('EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND s.name = ?)', q.name);
    }
    for (const [key, value] of q.attributes ?? []) {
      // Matches the attribute's value as text whatever its type (string, int, double or bool).
      const match = `(a.value ->> '$.key' = ? AND (CASE json_type(a.value, '$.value.boolValue')
          WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
          ELSE CAST(coalesce(a.value ->> '$.value.stringValue', a.value ->> '$.value.intValue', a.value ->> '$.value.doubleValue') AS TEXT) END) = ?)`;
      // instr() first: a plain text search rules out most spans before their JSON is parsed.
      where.add(
        `(EXISTS (SELECT 1 FROM spans s, json_each(s.body, '$.attributes') a WHERE s.trace_id = t.trace_id AND instr(s.body, ?) > 0 AND ${match})
        OR EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND s.resource_id IN
          (SELECT r.id FROM resources r, json_each(r.body, '$.attributes') a WHERE ${match})))`,
        JSON.stringify(value).slice(1, -1),
        key,
        value,
        key,
        value,
      );
    }
    const sql = `SELECT t.trace_id AS traceId, t.root_service AS rootService, t.root_name AS rootName,
        t.start_ns AS start, t.end_ns - t.start_ns AS duration, t.span_count AS spanCount, t.error_count AS errorCount,
        (SELECT group_concat(service, char(31)) FROM trace_services ts WHERE ts.trace_id = t.trace_id) AS services
      FROM traces t ${where}
      ORDER BY t.start_ns DESC LIMIT ?`;
    where.params.push(q.limit);
    const rows = this.db.prepare(sql, { bigints: true }).all(...where.params) as Array<Record<string, bigint | string | null>>;
    return rows.map((r) => ({
      traceId: r.traceId as string,
      rootService: r.rootService as string,
      rootName: r.rootName as string,
      startTimeUnixNano: String(r.start),
      durationNano: String(r.duration),
      spanCount: Number(r.spanCount),
      errorCount: Number(r.errorCount),
      services: r.services ? String(r.services).split('\u001f').sort() : [],
    }));
  }
}

function storedSpan(r: Record<string, string | bigint>): StoredSpan {
  const span: Record<string, unknown> = { traceId: r.traceId, spanId: r.spanId };
  if (r.parentSpanId) span.parentSpanId = r.parentSpanId;
  span.name = r.name;
  span.kind = Number(r.kind);
  span.startTimeUnixNano = String(r.startNs);
  span.endTimeUnixNano = String(r.endNs);
  Object.assign(span, JSON.parse(r.body as string));
  span.status = r.statusMessage ? { code: Number(r.statusCode), message: r.statusMessage } : { code: Number(r.statusCode) };
  return { span, serviceName: r.serviceName as string, resource: r.resource as string, scope: r.scope as string };
}
