// What the database conventions ask of query text: the operation and collection for the span name,
// and literals replaced by `?` in non-parameterised text so values (emails, tokens) never leave the process.

const STRING_LITERAL = /'(?:[^']|'')*'/g;
const NUMBER_LITERAL = /(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi;
const OPERATION = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(\w+)/;
const COLLECTION = /\b(?:from|into|update|join|table)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;

export function sanitize(text: string): string {
  return text.replace(STRING_LITERAL, '?').replace(NUMBER_LITERAL, '?');
}

export function operationOf(text: string): string | undefined {
  return OPERATION.exec(text)?.[1]?.toUpperCase();
}

export function collectionOf(text: string): string | undefined {
  return COLLECTION.exec(text)?.[1]?.replace(/"/g, '');
}

export interface QuerySummary {
  /** The text to record: as written when parameterised, otherwise with literals replaced by `?`. */
  queryText: string;
  operation: string | undefined;
  collection: string | undefined;
}

// Apps run the same few statements over and over: the analysis of each text is kept, so a query
// pays one map lookup instead of three regular expressions. Bounded, and simply emptied when full
// (an app that builds its SQL with literals inlined would otherwise fill it without end).
const MAX_CACHED = 512;
const cache = new Map<string, QuerySummary>();
const cacheSanitized = new Map<string, QuerySummary>();

export function summarize(text: string, parameterised: boolean): QuerySummary {
  const map = parameterised ? cache : cacheSanitized;
  let summary = map.get(text);
  if (summary === undefined) {
    summary = { queryText: parameterised ? text : sanitize(text), operation: operationOf(text), collection: collectionOf(text) };
    if (map.size >= MAX_CACHED) map.clear();
    map.set(text, summary);
  }
  return summary;
}
