// Span names joined from two low-cardinality parts ("GET /items/:id"), built once per pair and kept.
// A name joined per request is a new two-part (cons) string: one allocation at the request's end,
// and, on a span that is exported, a flattening in V8's runtime the first time the encoder reads its
// characters. A kept name is one flat string, looked up by its parts.

/** Names kept per first part; past this, names are joined per call (a route table is never this large). */
const MAX_PER_PREFIX = 1024;
/** First parts kept (HTTP methods, operation names). */
const MAX_PREFIXES = 64;

const byPrefix = new Map<string, Map<string, string>>();

/** `${prefix} ${rest}`, the same flat string each time for the same parts. */
export function joinedSpanName(prefix: string, rest: string): string {
  let names = byPrefix.get(prefix);
  if (names === undefined) {
    if (byPrefix.size >= MAX_PREFIXES) return `${prefix} ${rest}`;
    names = new Map();
    byPrefix.set(prefix, names);
  }
  let name = names.get(rest);
  if (name === undefined) {
    name = flatten(`${prefix} ${rest}`);
    if (names.size < MAX_PER_PREFIX) names.set(rest, name);
  }
  return name;
}

/** A flat copy of a string: V8 keeps property names as flat internalized strings. */
function flatten(value: string): string {
  return Object.keys({ [value]: 0 })[0]!;
}
