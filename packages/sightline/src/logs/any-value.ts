// Turns whatever an app logs (nested objects, errors, dates, buffers, class instances, cycles) into
// the values an OTLP AnyValue can hold: strings cut to the length limit, maps of own enumerable
// fields, arrays, byte arrays. Done when the record is emitted, because the app may change the object
// afterwards; never throws, whatever getter or toJSON() the object has.

/** How deep nested maps and arrays are kept; below that a value is replaced by a short description. */
const MAX_DEPTH = 8;

/** The first `limit` UTF-16 units, one fewer where the cut would split a surrogate pair. */
export function truncateString(value: string, limit: number): string {
  if (value.length <= limit) return value;
  const last = value.charCodeAt(limit - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

/** A value safe to encode, or undefined for what has no value (undefined, functions, symbols). */
export function toAnyValue(value: unknown, lengthLimit: number, depth = 0, seen?: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > lengthLimit ? truncateString(value, lengthLimit) : value;
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? undefined : objectValue(value, lengthLimit, depth, seen);
    default:
      return undefined;
  }
}

function objectValue(value: object, lengthLimit: number, depth: number, seen: Set<object> | undefined): unknown {
  if (value instanceof Uint8Array) return value.length > lengthLimit ? value.slice(0, lengthLimit) : value.slice();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen ??= new Set();
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((element) => toAnyValue(element, lengthLimit, depth + 1, seen) ?? null);
    if (value instanceof Error) return errorValue(value, lengthLimit, depth, seen);
    if (value instanceof Map) return mapValue(value.entries(), lengthLimit, depth, seen);
    if (value instanceof Set) return [...value].map((element) => toAnyValue(element, lengthLimit, depth + 1, seen) ?? null);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toAnyValue(toJSON.call(value), lengthLimit, depth + 1, seen);
    return mapValue(Object.entries(value), lengthLimit, depth, seen);
  } catch (error) {
    return `[unreadable: ${(error as Error)?.message ?? String(error)}]`;
  } finally {
    seen.delete(value);
  }
}

function mapValue(entries: Iterable<[unknown, unknown]>, lengthLimit: number, depth: number, seen: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, element] of entries) {
    const v = toAnyValue(element, lengthLimit, depth + 1, seen);
    if (v !== undefined) out[String(key)] = v;
  }
  return out;
}

function errorValue(error: Error, lengthLimit: number, depth: number, seen: Set<object>): Record<string, unknown> {
  const out = mapValue(Object.entries(error), lengthLimit, depth, seen);
  out.type = error.name;
  out.message = toAnyValue(error.message, lengthLimit);
  if (typeof error.stack === 'string') out.stack = toAnyValue(error.stack, lengthLimit);
  return out;
}

/** exception.type, exception.message and exception.stacktrace, as the conventions name them. */
export function exceptionAttributes(error: unknown, lengthLimit: number): Record<string, string> | undefined {
  if (error === null || error === undefined) return undefined;
  if (typeof error !== 'object') return { 'exception.message': truncateString(String(error), lengthLimit) };
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: unknown } };
  const out: Record<string, string> = {};
  const type = typeof e.name === 'string' && e.name !== '' ? e.name : typeof e.constructor?.name === 'string' ? e.constructor.name : '';
  if (type) out['exception.type'] = type;
  if (typeof e.message === 'string') out['exception.message'] = truncateString(e.message, lengthLimit);
  if (typeof e.stack === 'string') out['exception.stacktrace'] = truncateString(e.stack, lengthLimit);
  return out;
}
