// What the fetch and node:http client instrumentations share: span start with the stable client
// attributes, header injection, and ending on a response or an error.
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { QueryRedactor } from '../redaction/url-query.js';
import { methodForName, normalizeMethod } from '../semconv.js';

export interface ClientRequestInfo {
  method: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path and query. */
  target: string;
}

/** `url.full` without user:password (built from host and target, it never has them), credential query values redacted. */
function fullUrl(info: ClientRequestInfo, redactor: QueryRedactor): string {
  const defaultPort = info.scheme === 'https' ? 443 : 80;
  const host = info.host.includes(':') && !info.host.startsWith('[') ? `[${info.host}]` : info.host;
  return `${info.scheme}://${host}${info.port === defaultPort ? '' : `:${info.port}`}${redactor.redactUrl(info.target)}`;
}

export function startClientSpan(tracer: Tracer, info: ClientRequestInfo, redactor: QueryRedactor, extra?: Attributes): Span {
  const method = normalizeMethod(info.method);
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': info.host,
    'server.port': info.port,
    'url.full': fullUrl(info, redactor),
    ...extra,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = info.method;
  return tracer.startSpan(methodForName(method), { kind: SpanKind.CLIENT, attributes }, context.active());
}

/** Adds traceparent, tracestate and baggage for the span to an outgoing request. */
export function injectHeaders(span: Span, set: (name: string, value: string) => void): void {
  const ctx = trace.setSpan(context.active(), span);
  propagation.inject(ctx, undefined, { set: (_carrier, key, value) => set(key, value) });
}

export function endWithStatus(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  // For a client, 4xx is an error too (semantic conventions).
  if (status >= 400) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

export function endWithError(span: Span, error: unknown): void {
  const err = error as { name?: string; code?: string; message?: string } | undefined;
  span.setAttribute('error.type', err?.code ?? err?.name ?? '_OTHER');
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err?.message });
  span.end();
}
