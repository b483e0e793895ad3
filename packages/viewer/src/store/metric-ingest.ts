// Stores metric points, each request's points as one arrival batch (evicted together, in arrival
// order with traces and log batches). Series are interned: a point row carries only its series id.
import type { MetricPointRow } from './normalize-metrics.js';
import type { Sqlite, Statement } from './sqlite.js';
import type { Interned, StoreState } from './state.js';

export class MetricIngest {
  private readonly insertSeries: Statement;
  private readonly insertPoint: Statement;
  private readonly seriesIds = new Map<string, number>();

  constructor(
    private readonly db: Sqlite,
    private readonly interned: Interned,
    private readonly state: StoreState,
  ) {
    this.insertSeries = db.prepare(
      `INSERT INTO metric_series (service, instance, name, kind, unit, description, temporality, monotonic, attributes, resource_id, scope_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (service, instance, name, kind, attributes, scope_id) DO UPDATE SET unit = excluded.unit RETURNING id`,
    );
    this.insertPoint = db.prepare(
      `INSERT INTO metric_points (series_id, seq, received_ms, start_ns, time_ns, value, sum, counts, bounds, exemplars, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  ingest(points: MetricPointRow[]): void {
    if (points.length === 0) return;
    const receivedMs = Date.now();
    const seq = ++this.state.seq;
    this.db.transaction(() => {
      for (const p of points) {
        const bytes = 80 + p.attributes.length + (p.counts?.length ?? 0) + (p.bounds?.length ?? 0) + (p.exemplars?.length ?? 0);
        this.insertPoint.run(
          this.seriesId(p),
          seq,
          receivedMs,
          p.startNs,
          p.timeNs,
          p.value,
          p.sum,
          p.counts,
          p.bounds,
          p.exemplars,
          bytes,
        );
        this.state.totalBytes += bytes;
      }
    });
  }

  private seriesId(p: MetricPointRow): number {
    const resourceId = this.interned.resourceId(p.resource);
    const scopeId = this.interned.scopeId(p.scope);
    const key = `${p.serviceName}\u0000${p.instance}\u0000${p.name}\u0000${p.kind}\u0000${p.attributes}\u0000${scopeId}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      id = (
        this.insertSeries.get(
          p.serviceName,
          p.instance,
          p.name,
          p.kind,
          p.unit,
          p.description,
          p.temporality,
          p.monotonic ? 1 : 0,
          p.attributes,
          resourceId,
          scopeId,
        ) as { id: number }
      ).id;
      if (this.seriesIds.size > 50_000) this.seriesIds.clear();
      this.seriesIds.set(key, id);
    }
    return id;
  }

  clear(): void {
    this.seriesIds.clear();
  }
}
