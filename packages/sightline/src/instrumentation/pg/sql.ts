// What the database conventions ask of query text: the operation and collection for the span name,
// and the text with every literal replaced by `?` (redaction/sql.ts), so values never leave the process.
import { sanitizeSql } from '../redaction/sql.js';

const OPERATION = /^\s*(\w+)/;
const COLLECTION = /\b(?:from|into|update|join|table)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;

export interface QuerySummary {
  /** The text to record: literals replaced by `?`, comments dropped, placeholders ($1) kept. */
  queryText: string;
  operation: string | undefined;
  collection: string | undefined;
}

// Apps run the same few statements over and over: the analysis of each text is kept, so a query
// pays one map lookup instead of a scan and two regular expressions. Bounded, and simply emptied
// when full (an app that builds its SQL with literals inlined would otherwise fill it without end).
const MAX_CACHED = 512;
const cache = new Map<string, QuerySummary>();

export function summarize(text: string): QuerySummary {
  let summary = cache.get(text);
  if (summary === undefined) {
    // Operation and collection are read from the sanitised text, where a string literal or a
    // comment can no longer pass for a table name.
    const queryText = sanitizeSql(text);
    summary = {
      queryText,
      operation: OPERATION.exec(queryText)?.[1]?.toUpperCase(),
      collection: COLLECTION.exec(queryText)?.[1]?.replace(/"/g, ''),
    };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(text, summary);
  }
  return summary;
}
