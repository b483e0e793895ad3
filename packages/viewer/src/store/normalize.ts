// Turns an OTLP/JSON trace export request (as parsed from a JSON body, or decoded from protobuf by
// the shared transcoder) into rows for the store. Senders differ in small ways the OTLP/JSON rules
// allow or that are common in the wild (ids in base64, enums by name, 64-bit integers as numbers),
// so each field is read leniently; a span whose ids or start time cannot be read is rejected and
// counted, never stored half-formed.

export type Json = Record<string, unknown>;

export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  serviceName: string;
  startNs: bigint;
  endNs: bigint;
  statusCode: number;
  statusMessage: string;
  /** The resource, canonical JSON text; the store keeps each distinct resource once. */
  resource: string;
  /** The instrumentation scope, canonical JSON text. */
  scope: string;
  /**
   * The rest of the span in OTLP/JSON form (attributes, events, links, trace state, flags, dropped
   * counts): what has no column of its own, so nothing is stored twice.
   */
  body: string;
}

export interface Normalized {
  spans: SpanRow[];
  rejected: number;
  /** Why the first rejected span was rejected, for the partial-success message. */
  firstError: string | undefined;
}

export class PayloadError extends Error {}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Hex id of `bytes` bytes, accepting hex (the OTLP/JSON rule) or base64 (protobuf's JSON mapping). */
export function readId(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let hex: string | undefined;
  if (value.length === bytes * 2 && HEX.test(value)) hex = value.toLowerCase();
  else if (BASE64.test(value)) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === bytes) hex = decoded.toString('hex');
  }
  if (hex === undefined || /^0+$/.test(hex)) return undefined;
  return hex;
}

/** The largest time the store holds: SQLite integers are signed 64-bit (OTLP's fixed64 goes to 2^64 - 1). */
export const MAX_STORED_NANOS = 2n ** 63n - 1n;

/** A time in ns; undefined when absent or unreadable, `tooLarge` when readable but beyond what the store holds. */
export function readNanos(value: unknown): bigint | undefined | 'tooLarge' {
  let n: bigint | undefined;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  if (n === undefined) return undefined;
  return n > MAX_STORED_NANOS ? 'tooLarge' : n;
}

/** A time that is readable and storable, or undefined. */
export function storableNanos(value: unknown): bigint | undefined {
  const n = readNanos(value);
  return typeof n === 'bigint' ? n : undefined;
}

/** Deeper nesting than any real attribute or log body (the protobuf decoder's limit too). */
export const MAX_VALUE_DEPTH = 32;

/**
 * Refuses an AnyValue nested deeper than MAX_VALUE_DEPTH, walking it without recursion so that any
 * depth (JSON.parse builds objects thousands of levels deep without complaint) is answered with 400.
 */
function checkDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!isObject(v)) continue;
    if (depth > MAX_VALUE_DEPTH) throw new PayloadError(`a value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
    const array = isObject(v.arrayValue) ? v.arrayValue.values : undefined;
    if (Array.isArray(array)) for (const element of array) stack.push([element, depth + 1]);
    const kvlist = isObject(v.kvlistValue) ? v.kvlistValue.values : undefined;
    if (Array.isArray(kvlist)) for (const kv of kvlist) if (isObject(kv)) stack.push([kv.value, depth + 1]);
  }
}

export function readEnum(value: unknown, names: Record<string, number>, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
  if (typeof value === 'string') return names[value] ?? 0;
  return 0;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Keeps only well-formed KeyValue entries, so later readers can rely on their shape. */
export function attributes(value: unknown): Json[] {
  const out: Json[] = [];
  for (const entry of list(value)) {
    if (isObject(entry) && typeof entry.key === 'string') {
      checkDepth(entry.value);
      out.push({ key: entry.key, value: isObject(entry.value) ? entry.value : {} });
    }
  }
  return out;
}

export function stringAttribute(attrs: Json[], key: string): string | undefined {
  for (const a of attrs) {
    if (a.key === key) {
      const v = (a.value as Json).stringValue;
      return typeof v === 'string' ? v : undefined;
    }
  }
  return undefined;
}

function restOfSpan(span: Json): Json {
  const out: Json = { attributes: attributes(span.attributes) };
  if (typeof span.traceState === 'string' && span.traceState) out.traceState = span.traceState;
  if (typeof span.flags === 'number') out.flags = span.flags;
  const events = list(span.events)
    .filter(isObject)
    .map((e) => ({
      timeUnixNano: String(storableNanos(e.timeUnixNano) ?? 0n),
      name: typeof e.name === 'string' ? e.name : '',
      attributes: attributes(e.attributes),
    }));
  if (events.length) out.events = events;
  const links: Json[] = [];
  for (const l of list(span.links)) {
    if (!isObject(l)) continue;
    const linkTrace = readId(l.traceId, 16);
    const linkSpan = readId(l.spanId, 8);
    if (!linkTrace || !linkSpan) continue;
    const link: Json = { traceId: linkTrace, spanId: linkSpan, attributes: attributes(l.attributes) };
    if (typeof l.traceState === 'string' && l.traceState) link.traceState = l.traceState;
    links.push(link);
  }
  if (links.length) out.links = links;
  for (const key of ['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) {
    if (typeof span[key] === 'number' && (span[key] as number) > 0) out[key] = span[key];
  }
  return out;
}

/** Normalises one ExportTraceServiceRequest; throws PayloadError if it is not one at all. */
export function normalizeTraceRequest(request: unknown): Normalized {
  if (!isObject(request)) throw new PayloadError('the body is not an OTLP ExportTraceServiceRequest object');
  if (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans)) {
    throw new PayloadError('resourceSpans is not an array');
  }
  const result: Normalized = { spans: [], rejected: 0, firstError: undefined };
  const reject = (why: string) => {
    result.rejected++;
    result.firstError ??= why;
  };
  for (const rs of list(request.resourceSpans)) {
    if (!isObject(rs)) continue;
    const resourceAttrs = attributes(isObject(rs.resource) ? rs.resource.attributes : undefined);
    const serviceName = stringAttribute(resourceAttrs, 'service.name') || 'unknown_service';
    const resource = JSON.stringify({ attributes: resourceAttrs });
    for (const ss of list(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      if (!isObject(ss)) continue;
      const sc = isObject(ss.scope) ? ss.scope : isObject(ss.instrumentationLibrary) ? ss.instrumentationLibrary : {};
      const scope = scopeText(sc);
      for (const span of list(ss.spans)) {
        if (!isObject(span)) {
          reject('a span is not an object');
          continue;
        }
        const traceId = readId(span.traceId, 16);
        const spanId = readId(span.spanId, 8);
        if (!traceId || !spanId) {
          reject(`span "${String(span.name)}" has an invalid ${traceId ? 'spanId' : 'traceId'}`);
          continue;
        }
        const startNs = readNanos(span.startTimeUnixNano);
        const endRead = readNanos(span.endTimeUnixNano);
        if (startNs === undefined) {
          reject(`span "${String(span.name)}" has no valid startTimeUnixNano`);
          continue;
        }
        if (startNs === 'tooLarge' || endRead === 'tooLarge') {
          reject(`span "${String(span.name)}" has a time beyond ${MAX_STORED_NANOS} ns (the year 2262), which the store cannot hold`);
          continue;
        }
        let endNs = endRead ?? startNs;
        if (endNs < startNs) endNs = startNs;
        const parentSpanId = readId(span.parentSpanId, 8) ?? '';
        const kind = readEnum(span.kind, KIND_NAMES, 5);
        const st = isObject(span.status) ? span.status : {};
        result.spans.push({
          traceId,
          spanId,
          parentSpanId,
          name: typeof span.name === 'string' ? span.name : '',
          kind,
          serviceName,
          startNs,
          endNs,
          statusCode: readEnum(st.code, STATUS_NAMES, 2),
          statusMessage: typeof st.message === 'string' ? st.message : '',
          resource,
          scope,
          body: JSON.stringify(restOfSpan(span)),
        });
      }
    }
  }
  return result;
}

export interface LogRow {
  /** Hex ids, or '' for a record written outside any span (or with ids that cannot be read). */
  traceId: string;
  spanId: string;
  /** When the event happened; the observed time when the sender left that unset. */
  timeNs: bigint;
  severityNumber: number;
  severityText: string;
  serviceName: string;
  resource: string;
  scope: string;
  /** The rest of the record in OTLP/JSON form: body, attributes, event name, flags, observed time. */
  body: string;
}

export interface NormalizedLogs {
  logs: LogRow[];
  rejected: number;
  firstError: string | undefined;
}

const SEVERITY_NAMES: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].forEach((level, i) => {
  SEVERITY_NAMES[`SEVERITY_NUMBER_${level}`] = i * 4 + 1;
  for (let k = 2; k <= 4; k++) SEVERITY_NAMES[`SEVERITY_NUMBER_${level}${k}`] = i * 4 + k;
});

export function scopeText(sc: Json): string {
  return JSON.stringify({
    name: typeof sc.name === 'string' ? sc.name : '',
    version: typeof sc.version === 'string' ? sc.version : '',
    attributes: attributes(sc.attributes),
  });
}

function restOfLogRecord(record: Json): Json {
  const out: Json = { attributes: attributes(record.attributes) };
  if (isObject(record.body)) {
    checkDepth(record.body);
    out.body = record.body;
  }
  if (typeof record.eventName === 'string' && record.eventName) out.eventName = record.eventName;
  if (typeof record.flags === 'number') out.flags = record.flags;
  const observed = storableNanos(record.observedTimeUnixNano);
  if (observed) out.observedTimeUnixNano = String(observed);
  if (typeof record.droppedAttributesCount === 'number' && record.droppedAttributesCount > 0) {
    out.droppedAttributesCount = record.droppedAttributesCount;
  }
  return out;
}

/**
 * Normalises one ExportLogsServiceRequest; throws PayloadError if it is not one at all. A record
 * with unreadable trace or span ids is kept without them: its text is worth more than its link.
 */
export function normalizeLogsRequest(request: unknown, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): NormalizedLogs {
  if (!isObject(request)) throw new PayloadError('the body is not an OTLP ExportLogsServiceRequest object');
  if (request.resourceLogs !== undefined && !Array.isArray(request.resourceLogs)) {
    throw new PayloadError('resourceLogs is not an array');
  }
  const result: NormalizedLogs = { logs: [], rejected: 0, firstError: undefined };
  for (const rl of list(request.resourceLogs)) {
    if (!isObject(rl)) continue;
    const resourceAttrs = attributes(isObject(rl.resource) ? rl.resource.attributes : undefined);
    const serviceName = stringAttribute(resourceAttrs, 'service.name') || 'unknown_service';
    const resource = JSON.stringify({ attributes: resourceAttrs });
    for (const sl of list(rl.scopeLogs)) {
      if (!isObject(sl)) continue;
      const scope = scopeText(isObject(sl.scope) ? sl.scope : {});
      for (const record of list(sl.logRecords)) {
        if (!isObject(record)) {
          result.rejected++;
          result.firstError ??= 'a log record is not an object';
          continue;
        }
        const traceId = readId(record.traceId, 16);
        const spanId = traceId ? readId(record.spanId, 8) : undefined;
        if (readNanos(record.timeUnixNano) === 'tooLarge' || readNanos(record.observedTimeUnixNano) === 'tooLarge') {
          result.rejected++;
          result.firstError ??= `a log record has a time beyond ${MAX_STORED_NANOS} ns (the year 2262), which the store cannot hold`;
          continue;
        }
        const time = storableNanos(record.timeUnixNano) || storableNanos(record.observedTimeUnixNano) || nowNs;
        result.logs.push({
          traceId: traceId ?? '',
          spanId: spanId ?? '',
          timeNs: time,
          severityNumber: readEnum(record.severityNumber, SEVERITY_NAMES, 24),
          severityText: typeof record.severityText === 'string' ? record.severityText : '',
          serviceName,
          resource,
          scope,
          body: JSON.stringify(restOfLogRecord(record)),
        });
      }
    }
  }
  return result;
}
