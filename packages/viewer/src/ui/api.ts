// The UI's only data source: the viewer's JSON API (see the package README).
import type { TraceOutline } from '../api/trace-json.js';
import type { FlameGraph, ProfiledRoute, RedResult, RuntimeResult, TraceSummary } from '../store/store.js';
import type { FlameNode } from '../store/profile-queries.js';

// The search answer's and the outline's shapes are the server's own (types only: nothing of the server is bundled).
export type { FlameGraph, FlameNode, ProfiledRoute, RedResult, RuntimeResult, TraceOutline, TraceSummary };

export interface SpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
}

export interface Span {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message: string };
  events: SpanEvent[];
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
}

export interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severity: string;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  eventName: string;
  traceId: string;
  spanId: string;
  serviceName: string;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

export const api = {
  services: () => call<{ services: string[] }>('/api/services').then((r) => r.services),
  operations: (service: string) =>
    call<{ operations: string[] }>(`/api/operations?service=${encodeURIComponent(service)}`).then((r) => r.operations),
  search: (params: URLSearchParams) => call<{ traces: TraceSummary[] }>(`/api/traces?${params}`).then((r) => r.traces),
  outline: (traceId: string) => call<TraceOutline>(`/api/traces/${encodeURIComponent(traceId)}/outline`),
  span: (traceId: string, spanId: string) => call<Span>(`/api/traces/${encodeURIComponent(traceId)}/spans/${encodeURIComponent(spanId)}`),
  traceLogs: (traceId: string) => call<{ logs: LogRecord[] }>(`/api/traces/${encodeURIComponent(traceId)}/logs`).then((r) => r.logs),
  logs: (params: URLSearchParams) => call<{ logs: LogRecord[] }>(`/api/logs?${params}`).then((r) => r.logs),
  logServices: () => call<{ services: string[] }>('/api/logs/services').then((r) => r.services),
  metricServices: () => call<{ services: string[]; withMetrics: string[] }>('/api/metrics/services'),
  red: (params: URLSearchParams) => call<RedResult>(`/api/metrics/red?${params}`),
  runtime: (params: URLSearchParams) => call<RuntimeResult>(`/api/metrics/runtime?${params}`),
  flame: (params: URLSearchParams) => call<FlameGraph>(`/api/profiles/flame?${params}`),
  flameDiff: (params: URLSearchParams) => call<FlameGraph>(`/api/profiles/diff?${params}`),
  profiledRoutes: (params: URLSearchParams) => call<{ types: string[]; routes: ProfiledRoute[] }>(`/api/profiles/routes?${params}`),
  clear: () => call<unknown>('/api/traces', { method: 'DELETE', headers: { 'x-sightline-ui': '1' } }),
  import: (file: File) =>
    call<{ traces: number; rejectedSpans: number; logRecords: number }>('/api/import', {
      method: 'POST',
      headers: { 'x-sightline-ui': '1', 'content-type': 'application/json' },
      body: file,
    }),
};
