// Stores spans, and keeps each trace's summary row (time range, counts, root, services) up to date
// in the same transaction, so searches read one row per trace. A span that arrives twice (an
// exporter's retry) is stored once.
import type { SpanRow } from './normalize.js';
import type { Sqlite, Statement } from './sqlite.js';
import type { Interned, StoreState } from './state.js';

/** A trace's summary as accumulated from one batch, merged into the stored row by an upsert. */
interface Pending {
  start: bigint;
  end: bigint;
  spans: number;
  errors: number;
  rootRank: number;
  rootStart: bigint;
  rootService: string;
  rootName: string;
  bytes: number;
  services: Set<string>;
}

const STATUS_ERROR = 2;

export class SpanIngest {
  private readonly insertSpan: Statement;
  private readonly upsertTrace: Statement;
  private readonly insertService: Statement;

  constructor(
    private readonly db: Sqlite,
    private readonly interned: Interned,
    private readonly state: StoreState,
  ) {
    this.insertSpan = db.prepare(
      `INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, name, kind, service, start_ns, end_ns, status_code, status_message, resource_id, scope_id, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertTrace = db.prepare(
      `INSERT INTO traces (trace_id, start_ns, end_ns, span_count, error_count, root_rank, root_start, root_service, root_name, first_seq, received_ms, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id) DO UPDATE SET
         start_ns = min(start_ns, excluded.start_ns),
         end_ns = max(end_ns, excluded.end_ns),
         span_count = span_count + excluded.span_count,
         error_count = error_count + excluded.error_count,
         root_service = CASE WHEN excluded.root_rank < root_rank OR (excluded.root_rank = root_rank AND excluded.root_start < root_start) THEN excluded.root_service ELSE root_service END,
         root_name = CASE WHEN excluded.root_rank < root_rank OR (excluded.root_rank = root_rank AND excluded.root_start < root_start) THEN excluded.root_name ELSE root_name END,
         root_start = CASE WHEN excluded.root_rank < root_rank OR (excluded.root_rank = root_rank AND excluded.root_start < root_start) THEN excluded.root_start ELSE root_start END,
         root_rank = min(root_rank, excluded.root_rank),
         bytes = bytes + excluded.bytes`,
    );
    this.insertService = db.prepare('INSERT OR IGNORE INTO trace_services (service, trace_id) VALUES (?, ?)');
  }

  /** Stores spans; returns the ids of the traces they touched. */
  ingest(spans: SpanRow[]): string[] {
    if (spans.length === 0) return [];
    const pending = new Map<string, Pending>();
    const receivedMs = Date.now();
    this.db.transaction(() => {
      for (const span of spans) {
        const resourceId = this.interned.resourceId(span.resource);
        const scopeId = this.interned.scopeId(span.scope);
        const inserted = this.insertSpan.run(
          span.traceId,
          span.spanId,
          span.parentSpanId,
          span.name,
          span.kind,
          span.serviceName,
          span.startNs,
          span.endNs,
          span.statusCode,
          span.statusMessage,
          resourceId,
          scopeId,
          span.body,
        ).changes;
        if (inserted === 0) continue;
        // A span with no parent is the root; otherwise the earliest span stands in until the root arrives.
        const rootRank = span.parentSpanId ? 1 : 0;
        let p = pending.get(span.traceId);
        if (!p) {
          p = {
            start: span.startNs,
            end: span.endNs,
            spans: 0,
            errors: 0,
            rootRank,
            rootStart: span.startNs,
            rootService: span.serviceName,
            rootName: span.name,
            bytes: 0,
            services: new Set(),
          };
          pending.set(span.traceId, p);
        }
        if (span.startNs < p.start) p.start = span.startNs;
        if (span.endNs > p.end) p.end = span.endNs;
        p.spans++;
        if (span.statusCode === STATUS_ERROR) p.errors++;
        if (rootRank < p.rootRank || (rootRank === p.rootRank && span.startNs < p.rootStart)) {
          p.rootRank = rootRank;
          p.rootStart = span.startNs;
          p.rootService = span.serviceName;
          p.rootName = span.name;
        }
        // The JSON rest plus the indexed columns (ids, name, times), roughly.
        p.bytes += span.body.length + 120 + span.name.length;
        p.services.add(span.serviceName);
      }
      for (const [traceId, p] of pending) {
        this.upsertTrace.run(
          traceId,
          p.start,
          p.end,
          p.spans,
          p.errors,
          p.rootRank,
          p.rootStart,
          p.rootService,
          p.rootName,
          ++this.state.seq,
          receivedMs,
          p.bytes,
        );
        for (const service of p.services) this.insertService.run(service, traceId);
        this.state.totalBytes += p.bytes;
      }
    });
    return [...pending.keys()];
  }
}
