// What the store's parts share as they run: the arrival counter that orders eviction, the running
// byte count the size limit compares against, what was evicted, and the interned resources and scopes.
import type { Sqlite, Statement } from './sqlite.js';

export class StoreState {
  /** Arrival order: each trace's first batch and each batch of log records takes the next number. */
  seq = 0;
  /** Stored span, log and metric bytes, roughly (their JSON and indexed columns), for --max-size. */
  totalBytes = 0;
  evictedTraces = 0;
  evictedLogRecords = 0;
  evictedMetricPoints = 0;
  evictedProfileSamples = 0;
}

/** Each distinct resource and scope is stored once and referred to by id; the ids are cached. */
export class Interned {
  private readonly resourceIds = new Map<string, number>();
  private readonly scopeIds = new Map<string, number>();
  private readonly insertResource: Statement;
  private readonly insertScope: Statement;

  constructor(db: Sqlite) {
    this.insertResource = db.prepare('INSERT INTO resources (body) VALUES (?) ON CONFLICT (body) DO UPDATE SET body = body RETURNING id');
    this.insertScope = db.prepare('INSERT INTO scopes (body) VALUES (?) ON CONFLICT (body) DO UPDATE SET body = body RETURNING id');
  }

  resourceId(body: string): number {
    return this.idOf(this.resourceIds, this.insertResource, body);
  }

  scopeId(body: string): number {
    return this.idOf(this.scopeIds, this.insertScope, body);
  }

  clear(): void {
    this.resourceIds.clear();
    this.scopeIds.clear();
  }

  private idOf(cache: Map<string, number>, stmt: Statement, body: string): number {
    let id = cache.get(body);
    if (id === undefined) {
      id = (stmt.get(body) as { id: number }).id;
      if (cache.size > 10_000) cache.clear();
      cache.set(body, id);
    }
    return id;
  }
}
