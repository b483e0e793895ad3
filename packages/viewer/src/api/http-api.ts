// The viewer's own port: the JSON API (documented in the README; the UI uses nothing else), a
// server-sent event stream that announces new traces (and new logs of a trace), and the UI's
// static files.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { hostAllowed, hostName } from '../host-check.js';
import { PayloadError } from '../store/normalize.js';
import type { FlameSelection, LogQuery, MetricsQuery, TraceQuery, TraceStore } from '../store/store.js';
import { BodyError, decompress, readBody } from '../receiver/body.js';
import type { Counters } from '../receiver/ingest.js';
import { importOtlpJson } from './import-file.js';
import { apiLog, apiSpan, otlpRequest, traceOutline } from './trace-json.js';

export interface ApiContext {
  store: TraceStore;
  counters: Counters;
  maxBodyBytes: number;
  /** Host names the UI answers to; anything else is refused (a defence against DNS rebinding). */
  allowedHosts: Set<string>;
  uiDir: string;
  onTraces(traceIds: string[]): void;
  subscribe(listener: (traceIds: string[]) => void): () => void;
  version: string;
}

class QueryError extends Error {}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

function json(response: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json',
    'content-length': buf.length,
    'cache-control': 'no-store',
  });
  response.end(buf);
}

function fail(response: ServerResponse, status: number, message: string): void {
  json(response, status, { error: message });
}

/** Milliseconds from "250", "250ms", "1.5s", "2m"; undefined when absent. */
function durationMs(name: string, raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new QueryError(`${name}="${raw}" is not a duration (milliseconds, or a number with ms, s, m or h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

/** Epoch nanoseconds from an ISO date, epoch milliseconds, or a look-back like "15m", "6h", "7d". */
function instantNs(name: string, raw: string | null, now: number): bigint | undefined {
  if (raw === null || raw === '') return undefined;
  const back = /^(\d+)(m|h|d)$/.exec(raw);
  let ms: number;
  if (back) ms = now - Number(back[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[back[2] as 'm' | 'h' | 'd'];
  else if (/^\d+$/.test(raw)) ms = Number(raw);
  else ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new QueryError(`${name}="${raw}" is not a time (ISO date, epoch milliseconds, or 15m / 6h / 7d)`);
  return BigInt(Math.round(ms)) * 1_000_000n;
}

export function parseTraceQuery(params: URLSearchParams, now = Date.now()): TraceQuery {
  const limit = limitOf(params.get('limit'), 50, 1000);
  const attributes: Array<[string, string]> = params
    .getAll('attr')
    .filter(Boolean)
    .map((raw) => {
      const eq = raw.indexOf('=');
      if (eq <= 0) throw new QueryError(`attr="${raw}" must be key=value`);
      return [raw.slice(0, eq).trim(), raw.slice(eq + 1).trim()];
    });
  const error = params.get('error');
  if (error !== null && error !== '' && error !== 'true' && error !== 'false')
    throw new QueryError(`error="${error}" must be true or false`);
  const min = durationMs('minDurationMs', params.get('minDurationMs'));
  const max = durationMs('maxDurationMs', params.get('maxDurationMs'));
  return {
    service: params.get('service') || undefined,
    name: params.get('name') || undefined,
    errorsOnly: error === 'true',
    minDurationNs: min === undefined ? undefined : BigInt(Math.round(min * 1e6)),
    maxDurationNs: max === undefined ? undefined : BigInt(Math.round(max * 1e6)),
    attributes,
    sinceNs: instantNs('since', params.get('since'), now),
    untilNs: instantNs('until', params.get('until'), now),
    limit,
  };
}

/** The span and every span under it, from the trace's outline. */
function subtree(store: TraceStore, traceId: string, spanId: string): string[] {
  const children = new Map<string, string[]>();
  for (const [id, parent] of store.traceOutline(traceId)) {
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [id]);
    else siblings.push(id);
  }
  const out: string[] = [];
  const stack = [spanId];
  while (stack.length > 0 && out.length < 100_000) {
    const id = stack.pop()!;
    out.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

/**
 * Which samples a flame graph sums: `traceId` (with `spanId`, that span and its descendants), or
 * `service` with optional `route` and a time range (`since`/`until`, or the `prefix`ed pair of a
 * diff's baseline); `type` is the sample type (cpu by default).
 */
export function parseFlameSelection(params: URLSearchParams, store: TraceStore, prefix = '', now = Date.now()): FlameSelection {
  const type = params.get('type') || 'cpu';
  const traceId = params.get('traceId')?.toLowerCase() || undefined;
  const spanId = params.get('spanId')?.toLowerCase() || undefined;
  if (traceId !== undefined) {
    if (!TRACE_ID.test(traceId)) throw new QueryError(`traceId="${traceId}" is not a trace id (32 hex digits)`);
    if (spanId !== undefined && !SPAN_ID.test(spanId)) throw new QueryError(`spanId="${spanId}" is not a span id (16 hex digits)`);
    return { type, traceId, spanIds: spanId === undefined ? undefined : subtree(store, traceId, spanId) };
  }
  if (spanId !== undefined) throw new QueryError('spanId needs traceId');
  const service = params.get('service') || undefined;
  if (service === undefined) throw new QueryError('a flame graph needs traceId, or service (with route and a time range if wanted)');
  const route = params.get('route');
  const since = prefix === '' ? 'since' : `${prefix}Since`;
  const until = prefix === '' ? 'until' : `${prefix}Until`;
  return {
    type,
    service,
    route: route === null ? undefined : route,
    fromNs: instantNs(since, params.get(since), now),
    toNs: instantNs(until, params.get(until), now),
  };
}

const LEVELS: Record<string, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

function limitOf(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new QueryError(`limit="${raw}" must be an integer from 1 to ${max}`);
  return limit;
}

export function parseLogQuery(params: URLSearchParams, now = Date.now()): LogQuery {
  const traceId = params.get('traceId')?.toLowerCase() || undefined;
  if (traceId !== undefined && !TRACE_ID.test(traceId))
    throw new QueryError(`traceId="${params.get('traceId')}" is not a trace id (32 hex digits)`);
  const severity = params.get('severity')?.toLowerCase() || undefined;
  let minSeverity: number | undefined;
  if (severity !== undefined) {
    minSeverity = LEVELS[severity] ?? (/^\d+$/.test(severity) && Number(severity) <= 24 ? Number(severity) : undefined);
    if (minSeverity === undefined)
      throw new QueryError(`severity="${params.get('severity')}" must be trace, debug, info, warn, error, fatal or a number from 1 to 24`);
  }
  return {
    service: params.get('service') || undefined,
    traceId,
    minSeverity,
    text: params.get('text') || undefined,
    sinceNs: instantNs('since', params.get('since'), now),
    untilNs: instantNs('until', params.get('until'), now),
    limit: limitOf(params.get('limit'), 200, 5000),
  };
}

/** service (required), since (default 1h), until (default now), steps (default 60). */
export function parseMetricsQuery(params: URLSearchParams, now = Date.now()): MetricsQuery {
  const service = params.get('service');
  if (!service) throw new QueryError('service is required');
  const sinceNs = instantNs('since', params.get('since') || '1h', now)!;
  const untilNs = instantNs('until', params.get('until'), now) ?? BigInt(now) * 1_000_000n;
  if (untilNs <= sinceNs) throw new QueryError('until must be later than since');
  return { service, sinceNs, untilNs, steps: limitOf(params.get('steps'), 60, 500) };
}

const staticFiles = new Map<string, Buffer>();

function serveStatic(ctx: ApiContext, path: string, response: ServerResponse): boolean {
  const file = STATIC[path];
  if (!file) return false;
  const location = `${ctx.uiDir}/${file}`;
  // Read once: the UI's files do not change while the viewer runs.
  let body = staticFiles.get(location);
  if (body === undefined) {
    try {
      body = readFileSync(location);
    } catch {
      fail(response, 500, `the UI file ${file} is missing; build the viewer (npm run build)`);
      return true;
    }
    staticFiles.set(location, body);
  }
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': TYPES[file.split('.').pop()!]!,
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  response.end(body);
  return true;
}

function events(ctx: ApiContext, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  response.write('retry: 2000\n\n');
  // New trace ids are gathered and sent at most twice a second, however fast spans arrive.
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = ctx.subscribe((ids) => {
    for (const id of ids) if (pending.size < 500) pending.add(id);
    timer ??= setTimeout(() => {
      timer = undefined;
      response.write(`event: traces\ndata: ${JSON.stringify([...pending])}\n\n`);
      pending = new Set();
    }, 500);
  });
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
  request.on('close', () => {
    unsubscribe();
    clearInterval(keepAlive);
    if (timer) clearTimeout(timer);
  });
}

/** Mutating calls must come from the UI's own scripts: a cross-site form cannot set this header. */
function fromUi(request: IncomingMessage): boolean {
  return request.headers['x-sightline-ui'] === '1';
}

async function route(ctx: ApiContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!hostAllowed(ctx.allowedHosts, request.headers.host)) {
    return fail(response, 421, `host "${hostName(request.headers.host)}" is not served here; open the viewer by its loopback address`);
  }
  const url = new URL(request.url ?? '/', 'http://viewer');
  const path = url.pathname;
  const method = request.method ?? 'GET';
  if (method === 'GET' && serveStatic(ctx, path, response)) return;

  if (path === '/api/services' && method === 'GET') return json(response, 200, { services: ctx.store.services() });
  if (path === '/api/operations' && method === 'GET') {
    const service = url.searchParams.get('service');
    if (!service) return fail(response, 400, 'service is required');
    return json(response, 200, { operations: ctx.store.operations(service) });
  }
  if (path === '/api/traces' && method === 'GET')
    return json(response, 200, { traces: ctx.store.search(parseTraceQuery(url.searchParams)) });
  if (path === '/api/traces' && method === 'DELETE') {
    if (!fromUi(request)) return fail(response, 403, 'clearing data needs the x-sightline-ui: 1 header');
    ctx.store.clear();
    ctx.onTraces([]);
    return json(response, 200, { cleared: true });
  }
  const traceMatch = /^\/api\/traces\/([^/]+)(\/otlp|\/logs|\/outline|\/spans\/[^/]+)?$/.exec(path);
  if (traceMatch && method === 'GET') {
    const traceId = traceMatch[1]!.toLowerCase();
    if (!TRACE_ID.test(traceId)) return fail(response, 400, `"${traceMatch[1]}" is not a trace id (32 hex digits)`);
    // A trace's logs may arrive before (or without) its spans: an empty list, never a 404.
    if (traceMatch[2] === '/logs') return json(response, 200, { traceId, logs: ctx.store.traceLogs(traceId).map(apiLog) });
    if (traceMatch[2] === '/outline') {
      const outline = traceOutline(traceId, ctx.store.traceOutline(traceId));
      return outline === undefined ? fail(response, 404, `trace ${traceId} is not stored`) : json(response, 200, outline);
    }
    if (traceMatch[2]?.startsWith('/spans/')) {
      const spanId = traceMatch[2].slice('/spans/'.length).toLowerCase();
      if (!SPAN_ID.test(spanId)) return fail(response, 400, `"${traceMatch[2].slice(7)}" is not a span id (16 hex digits)`);
      const stored = ctx.store.span(traceId, spanId);
      return stored === undefined
        ? fail(response, 404, `span ${spanId} of trace ${traceId} is not stored`)
        : json(response, 200, apiSpan(stored));
    }
    const spans = ctx.store.trace(traceId);
    if (spans.length === 0) return fail(response, 404, `trace ${traceId} is not stored`);
    if (traceMatch[2]) {
      response.setHeader('content-disposition', `attachment; filename="trace-${traceId}.json"`);
      return json(response, 200, otlpRequest(spans));
    }
    return json(response, 200, { traceId, spans: spans.map(apiSpan) });
  }
  if (path === '/api/logs' && method === 'GET')
    return json(response, 200, { logs: ctx.store.searchLogs(parseLogQuery(url.searchParams)).map(apiLog) });
  if (path === '/api/logs/services' && method === 'GET') return json(response, 200, { services: ctx.store.logServices() });
  if (path === '/api/metrics/services' && method === 'GET') {
    // Services that send metrics, and those that only send spans (their RED view comes from the spans).
    const services = [...new Set([...ctx.store.metricServices(), ...ctx.store.services()])].sort();
    return json(response, 200, { services, withMetrics: ctx.store.metricServices() });
  }
  if (path === '/api/metrics/red' && method === 'GET') return json(response, 200, ctx.store.red(parseMetricsQuery(url.searchParams)));
  if (path === '/api/metrics/runtime' && method === 'GET')
    return json(response, 200, ctx.store.runtime(parseMetricsQuery(url.searchParams)));
  if (path === '/api/profiles/routes' && method === 'GET') {
    const type = url.searchParams.get('type') || 'cpu';
    const service = url.searchParams.get('service') || undefined;
    return json(response, 200, { types: ctx.store.profileTypes(), routes: ctx.store.profiledRoutes(type, service) });
  }
  if (path === '/api/profiles/flame' && method === 'GET')
    return json(response, 200, ctx.store.flame(parseFlameSelection(url.searchParams, ctx.store)));
  if (path === '/api/profiles/diff' && method === 'GET')
    return json(
      response,
      200,
      ctx.store.flameDiff(parseFlameSelection(url.searchParams, ctx.store, 'base'), parseFlameSelection(url.searchParams, ctx.store)),
    );
  if (path === '/api/import' && method === 'POST') {
    if (!fromUi(request)) return fail(response, 403, 'imports need the x-sightline-ui: 1 header');
    const raw = await readBody(request, ctx.maxBodyBytes, request.headers['content-length']);
    const body = await decompress(raw, request.headers['content-encoding'], ctx.maxBodyBytes);
    const result = importOtlpJson(ctx.store, ctx.counters, body.toString('utf8'));
    ctx.onTraces(result.traceIds);
    return json(response, 200, {
      traces: result.traceIds.length,
      spans: result.spans,
      rejectedSpans: result.rejectedSpans,
      logRecords: result.logRecords,
    });
  }
  if (path === '/api/stats' && method === 'GET') {
    return json(response, 200, { version: ctx.version, store: ctx.store.stats(), received: ctx.counters });
  }
  if (path === '/api/events' && method === 'GET') return events(ctx, request, response);
  if (path.startsWith('/api/')) return fail(response, 404, `no API endpoint ${method} ${path}`);
  // Any other page path is the single-page UI (it routes on the hash).
  if (method === 'GET' && !path.includes('.')) return void serveStatic(ctx, '/', response);
  fail(response, 404, `nothing at ${path}`);
}

export function createApiServer(ctx: ApiContext): Server {
  return createServer((request, response) => {
    route(ctx, request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof QueryError || error instanceof PayloadError) fail(response, 400, error.message);
      else if (error instanceof BodyError) fail(response, error.status, error.message);
      else fail(response, 500, `internal error: ${(error as Error).message}`);
    });
  });
}
