// The UI's only data source: the viewer's JSON API (see the package README).
import type { TraceSummary } from '../store/store.js';

// The search answer's shape is the store's own (a type only: nothing of the server is bundled).
export type { TraceSummary };

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
  trace: (traceId: string) => call<{ traceId: string; spans: Span[] }>(`/api/traces/${encodeURIComponent(traceId)}`),
  clear: () => call<unknown>('/api/traces', { method: 'DELETE', headers: { 'x-sightline-ui': '1' } }),
  import: (file: File) =>
    call<{ traces: number; rejectedSpans: number }>('/api/import', {
      method: 'POST',
      headers: { 'x-sightline-ui': '1', 'content-type': 'application/json' },
      body: file,
    }),
};
