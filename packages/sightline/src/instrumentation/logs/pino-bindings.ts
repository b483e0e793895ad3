// A pino logger's bindings (its `base` fields and those of each child() call) as record attributes.
// pino keeps them serialised, `,"pid":1,"hostname":"h","reqId":"req-1"`; they are parsed once per
// logger and kept on the logger itself (a child logger per request is common, and a WeakMap entry per
// request costs more than the parse).
//
// A child logger (pino makes one with Object.create(parent)) has its parent's bindings, then its own:
// only its own part is parsed, and the parent's come from the parent's parse. Fastify makes a child
// per request, so parsing the whole was a JSON.parse of the service's bindings on every line. A child's
// own part is usually a field or two of strings and numbers, read here without JSON.parse (whose
// fixed costs were most of it); anything else (escapes, objects, arrays) goes to JSON.parse.

type PinoLogger = Record<symbol, unknown>;

const BINDINGS = Symbol('sightline.pino.bindings');

/** Fields of the line the record carries elsewhere: its level, time and the resource's pid and host. */
export const RECORD_FIELDS = new Set(['level', 'time', 'pid', 'hostname']);

export interface ParsedBindings {
  readonly chindings: string;
  /** The parent's bindings, which this logger's own follow (and override). */
  readonly inherited: ParsedBindings | undefined;
  /** This logger's own part: keys and values in turn. */
  readonly own: readonly unknown[];
}

/** The logger's bindings, parsed; undefined when it has none. */
export function bindingsOf(logger: PinoLogger, chindingsSym: symbol | undefined): ParsedBindings | undefined {
  if (chindingsSym === undefined) return undefined;
  const chindings = logger[chindingsSym];
  if (typeof chindings !== 'string' || chindings === '') return undefined;
  const cached = logger[BINDINGS] as ParsedBindings | undefined;
  if (cached !== undefined && cached.chindings === chindings) return cached;
  const parent = Object.getPrototypeOf(logger) as PinoLogger | null;
  const parentChindings = parent === null ? undefined : parent[chindingsSym];
  let parsed: ParsedBindings;
  // A child with no bindings of its own (made for its options) has its parent's, parsed once there.
  if (parentChindings === chindings) parsed = bindingsOf(parent!, chindingsSym)!;
  else if (typeof parentChindings === 'string' && parentChindings.length < chindings.length && chindings.startsWith(parentChindings)) {
    const own = chindings.slice(parentChindings.length);
    parsed = { chindings, inherited: bindingsOf(parent!, chindingsSym), own: parseBindings(own) };
  } else {
    parsed = { chindings, inherited: undefined, own: parseBindings(chindings) };
  }
  logger[BINDINGS] = parsed;
  return parsed;
}

/** Appends the bindings to a key-value list, the parent's first, so that a child's own win as in pino's line. */
export function copyBindings(pairs: unknown[], bindings: ParsedBindings): void {
  if (bindings.inherited !== undefined) copyBindings(pairs, bindings.inherited);
  const own = bindings.own;
  for (let i = 0; i < own.length; i++) pairs.push(own[i]);
}

/** Serialised bindings (`,"k":v,"k2":v2`) as keys and values in turn, the record's own fields left out. */
export function parseBindings(serialised: string): unknown[] {
  const pairs = parseSimpleBindings(serialised) ?? parseWithJson(serialised);
  const kept: unknown[] = [];
  for (let i = 0; i < pairs.length; i += 2) if (!RECORD_FIELDS.has(pairs[i] as string)) kept.push(pairs[i], pairs[i + 1]);
  return kept;
}

function parseWithJson(serialised: string): unknown[] {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(`{${serialised.slice(1)}}`) as Record<string, unknown>;
  } catch {
    // Bindings pino could not have written: the record goes without them.
    return [];
  }
  const pairs: unknown[] = [];
  for (const key in parsed) pairs.push(key, parsed[key]);
  return pairs;
}

const COMMA = 44;
const QUOTE = 34;
const COLON = 58;
const BACKSLASH = '\\';

/**
 * `,"k":"text","n":42` without JSON.parse: keys and string values without escapes, and values that
 * are plain JSON numbers, true, false or null. Undefined for anything else, which JSON.parse reads.
 */
function parseSimpleBindings(s: string): unknown[] | undefined {
  const pairs: unknown[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) !== COMMA || s.charCodeAt(i + 1) !== QUOTE) return undefined;
    const keyEnd = s.indexOf('"', i + 2);
    if (keyEnd < 0 || s.charCodeAt(keyEnd + 1) !== COLON) return undefined;
    const key = s.slice(i + 2, keyEnd);
    if (key.includes(BACKSLASH)) return undefined;
    const at = keyEnd + 2;
    let value: unknown;
    if (s.charCodeAt(at) === QUOTE) {
      const end = s.indexOf('"', at + 1);
      if (end < 0) return undefined;
      const text = s.slice(at + 1, end);
      if (text.includes(BACKSLASH)) return undefined;
      value = text;
      i = end + 1;
    } else {
      let end = s.indexOf(',', at);
      if (end < 0) end = s.length;
      const literal = s.slice(at, end);
      if (literal === 'true') value = true;
      else if (literal === 'false') value = false;
      else if (literal === 'null') value = null;
      else if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(literal)) value = Number(literal);
      else return undefined;
      i = end;
    }
    pairs.push(key, value);
  }
  return pairs;
}
