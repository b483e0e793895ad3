// The store's tables and their versions. One SQLite file; spans are appended in rowid order (cheap)
// and found through a small (trace_id, span_id) index (a WITHOUT ROWID table keyed on the random ids
// measured 5x slower to fill, its rows being large); a per-trace summary row is kept at ingest so
// searches never aggregate spans; log records sit beside them.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Sqlite } from './sqlite.js';

/** Bumped when the tables change shape; a file of another version is refused, not misread. */
export const SCHEMA_VERSION = 3;

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
`;

/**
 * Opens (or creates) the store's database and brings it to SCHEMA_VERSION. Version 2 lacked only the
 * logs table, which the schema adds; a file of any other version is refused with a message.
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
  if (!empty && version !== SCHEMA_VERSION && version !== 2) {
    db.close();
    throw new Error(
      `the trace database ${path} was written by another version of the viewer (schema ${version}, this one reads ${SCHEMA_VERSION}); move it away or start with another --data directory`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}
