// Shapes stored spans and log records for the JSON API (attributes as plain objects, enums by name),
// and spans back into an OTLP/JSON export request (the "download trace" file, which `--import`
// reads back).

import type { OutlineRow, StoredLog, StoredSpan } from '../store/store.js';

type Json = Record<string, unknown>;

const KINDS = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

/** An OTLP AnyValue as a plain JSON value; 64-bit integers stay exact (as strings) beyond 2^53. */
export function plainValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Json;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (((v.arrayValue as Json)?.values as unknown[]) ?? []).map(plainValue);
  if ('kvlistValue' in v) return plainAttributes((v.kvlistValue as Json)?.values);
  if ('bytesValue' in v) return v.bytesValue;
  return null;
}

export function plainAttributes(list: unknown): Json {
  const out: Json = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list as Json[]) out[kv.key as string] = plainValue(kv.value);
  return out;
}

export function apiSpan(stored: StoredSpan): Json {
  const s = stored.span;
  const status = (s.status ?? {}) as Json;
  return {
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? '',
    name: s.name,
    kind: KINDS[s.kind as number] ?? 'INTERNAL',
    serviceName: stored.serviceName,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: plainAttributes(s.attributes),
    resource: plainAttributes((JSON.parse(stored.resource) as Json).attributes),
    scope: (({ name, version }) => ({ name, version }))(JSON.parse(stored.scope) as Json),
    status: { code: STATUS[status.code as number] ?? 'UNSET', message: status.message ?? '' },
    events: ((s.events as Json[]) ?? []).map((e) => ({
      name: e.name,
      timeUnixNano: e.timeUnixNano,
      attributes: plainAttributes(e.attributes),
    })),
    links: ((s.links as Json[]) ?? []).map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      attributes: plainAttributes(l.attributes),
    })),
  };
}

const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** The level of an OTLP severity number (1-4 TRACE ... 21-24 FATAL), or UNSPECIFIED for 0. */
export function severityLevel(severityNumber: number): string {
  return SEVERITIES[Math.floor((severityNumber - 1) / 4)] ?? 'UNSPECIFIED';
}

export function apiLog(stored: StoredLog): Json {
  const r = stored.record;
  const severityNumber = (r.severityNumber as number | undefined) ?? 0;
  return {
    timeUnixNano: r.timeUnixNano,
    observedTimeUnixNano: r.observedTimeUnixNano ?? '',
    severityNumber,
    severity: severityLevel(severityNumber),
    severityText: r.severityText ?? '',
    body: r.body === undefined ? null : plainValue(r.body),
    attributes: plainAttributes(r.attributes),
    eventName: r.eventName ?? '',
    traceId: r.traceId ?? '',
    spanId: r.spanId ?? '',
    serviceName: stored.serviceName,
    resource: plainAttributes((JSON.parse(stored.resource) as Json).attributes),
    scope: (({ name, version }) => ({ name, version }))(JSON.parse(stored.scope) as Json),
  };
}

/** The trace as one ExportTraceServiceRequest, spans grouped by resource and scope as they arrived. */
export function otlpRequest(spans: StoredSpan[]): Json {
  const byResource = new Map<string, Map<string, Json[]>>();
  for (const stored of spans) {
    let scopes = byResource.get(stored.resource);
    if (!scopes) byResource.set(stored.resource, (scopes = new Map()));
    let list = scopes.get(stored.scope);
    if (!list) scopes.set(stored.scope, (list = []));
    list.push(stored.span);
  }
  return {
    resourceSpans: [...byResource].map(([resource, scopes]) => ({
      resource: JSON.parse(resource),
      scopeSpans: [...scopes].map(([scope, list]) => ({ scope: JSON.parse(scope), spans: list })),
    })),
  };
}

/**
 * A trace as the waterfall draws it, compact enough for 100,000 spans: names and services listed
 * once and referred to by index, times as nanosecond offsets from the trace's start. Each span is
 * [spanId, parentSpanId, nameIndex, kind, serviceIndex, startOffsetNs, endOffsetNs, statusCode].
 */
export interface TraceOutline {
  traceId: string;
  startTimeUnixNano: string;
  names: string[];
  services: string[];
  spans: Array<[string, string, number, string, number, number, number, 'UNSET' | 'OK' | 'ERROR']>;
}

export function traceOutline(traceId: string, rows: OutlineRow[]): TraceOutline | undefined {
  if (rows.length === 0) return undefined;
  let start = rows[0]![5];
  for (const row of rows) if (row[5] < start) start = row[5];
  const names: string[] = [];
  const services: string[] = [];
  const nameIndex = new Map<string, number>();
  const serviceIndex = new Map<string, number>();
  const index = (map: Map<string, number>, list: string[], value: string): number => {
    let i = map.get(value);
    if (i === undefined) map.set(value, (i = list.push(value) - 1));
    return i;
  };
  const spans = rows.map(([spanId, parentSpanId, name, kind, service, startNs, endNs, statusCode]): TraceOutline['spans'][number] => [
    spanId,
    parentSpanId,
    index(nameIndex, names, name),
    KINDS[Number(kind)] ?? 'INTERNAL',
    index(serviceIndex, services, service),
    Number(startNs - start),
    Number(endNs - start),
    (STATUS[Number(statusCode)] ?? 'UNSET') as 'UNSET' | 'OK' | 'ERROR',
  ]);
  return { traceId, startTimeUnixNano: String(start), names, services, spans };
}
