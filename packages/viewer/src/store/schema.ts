// The store's tables and their versions. One SQLite file; spans are appended in rowid order (cheap)
// and found through a small (trace_id, span_id) index (a WITHOUT ROWID table keyed on the random ids
// measured 5x slower to fill, its rows being large); a per-trace summary row is kept at ingest so
// searches never aggregate spans; log records and metric points sit beside them (points by series,
// each series an interned identity: service, instance, metric and attribute set).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Sqlite } from './sqlite.js';

/** Bumped when the tables change shape; a file of another version is refused, not misread. */
export const SCHEMA_VERSION = 5;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS scopes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  service TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS spans_trace_span ON spans (trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_service_name ON spans (service, name);
CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT PRIMARY KEY,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  span_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  root_rank INTEGER NOT NULL,
  root_start INTEGER NOT NULL,
  root_service TEXT NOT NULL,
  root_name TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_seq ON traces (first_seq);
CREATE TABLE IF NOT EXISTS trace_services (
  service TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  PRIMARY KEY (service, trace_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_services_trace ON trace_services (trace_id);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  time_ns INTEGER NOT NULL,
  severity_number INTEGER NOT NULL,
  severity_text TEXT NOT NULL,
  service TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_trace ON logs (trace_id, time_ns);
CREATE INDEX IF NOT EXISTS logs_seq ON logs (seq);
CREATE INDEX IF NOT EXISTS logs_time ON logs (time_ns);
CREATE TABLE IF NOT EXISTS metric_series (
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL,
  instance TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  description TEXT NOT NULL,
  temporality INTEGER NOT NULL,
  monotonic INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  UNIQUE (service, instance, name, kind, attributes, scope_id)
);
CREATE INDEX IF NOT EXISTS metric_series_name ON metric_series (service, name);
CREATE TABLE IF NOT EXISTS metric_points (
  id INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  value REAL NOT NULL,
  sum REAL,
  counts TEXT,
  bounds TEXT,
  exemplars TEXT,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_points_series_time ON metric_points (series_id, time_ns);
CREATE INDEX IF NOT EXISTS metric_points_seq ON metric_points (seq);
CREATE TABLE IF NOT EXISTS profile_stacks (id INTEGER PRIMARY KEY, frames TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS profile_samples (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  service TEXT NOT NULL,
  type TEXT NOT NULL,
  unit TEXT NOT NULL,
  time_ns INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  route TEXT NOT NULL,
  stack_id INTEGER NOT NULL,
  value REAL NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS profile_samples_span ON profile_samples (trace_id, span_id);
CREATE INDEX IF NOT EXISTS profile_samples_route ON profile_samples (service, route, time_ns);
CREATE INDEX IF NOT EXISTS profile_samples_seq ON profile_samples (seq);
`;

/**
 * Opens (or creates) the store's database and brings it to SCHEMA_VERSION. Versions 2, 3 and 4 lacked
 * only tables (logs; the metric tables; the profile tables), which the schema adds; a file of any other version is
 * refused with a message.
 */
export function openStoreDatabase(path: string | undefined): Sqlite {
  if (path) mkdirSync(dirname(path), { recursive: true });
  const db = new Sqlite(path ?? ':memory:');
  if (path) {
    db.pragma('journal_mode = WAL');
    // A viewer can lose the last second of spans in a power cut; it must not slow ingest for it.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('cache_size = -65536');
  const version = Number(db.pragma('user_version'));
  const empty = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n === 0;
  if (!empty && version !== SCHEMA_VERSION && version !== 2 && version !== 3 && version !== 4) {
    db.close();
    throw new Error(
      `the trace database ${path} was written by another version of the viewer (schema ${version}, this one reads ${SCHEMA_VERSION}); move it away or start with another --data directory`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}
