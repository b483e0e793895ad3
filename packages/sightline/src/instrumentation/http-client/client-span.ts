// What the fetch and node:http client instrumentations share: span start with the stable client
// attributes, header injection, ending on a response or an error, and http.client.request.duration.
import { performance } from 'node:perf_hooks';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Histogram,
  type Meter,
  type Span,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { isTraced } from '../inside-trace.js';
import type { QueryRedactor } from '../redaction/url-query.js';
import { HTTP_DURATION_BUCKETS, methodForName, normalizeMethod } from '../semconv.js';
import { AttributeSets } from '../toolkit/attribute-sets.js';
import { exemplarContext } from '../toolkit/operation-duration.js';

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

/**
 * The CLIENT span of an outgoing request. Every request gets one, unsampled too: its headers must name a
 * new parent id. Under an unsampled request the span is started bare, since the sampler follows the
 * parent and records nothing; its attributes (the redacted URL above all) are built only if it records
 * after all (a sampler of the app's own).
 */
export function startClientSpan(tracer: Tracer, info: ClientRequestInfo, redactor: QueryRedactor, extra?: Attributes): Span {
  const method = normalizeMethod(info.method);
  const active = context.active();
  const parent = trace.getSpan(active);
  if (parent !== undefined && !isTraced(parent)) {
    const span = tracer.startSpan(methodForName(method), { kind: SpanKind.CLIENT }, active);
    if (span.isRecording()) span.setAttributes(clientAttributes(method, info, redactor, extra));
    return span;
  }
  return tracer.startSpan(
    methodForName(method),
    { kind: SpanKind.CLIENT, attributes: clientAttributes(method, info, redactor, extra) },
    active,
  );
}

function clientAttributes(method: string, info: ClientRequestInfo, redactor: QueryRedactor, extra: Attributes | undefined): Attributes {
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': info.host,
    'server.port': info.port,
    'url.full': fullUrl(info, redactor),
    ...extra,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = info.method;
  return attributes;
}

/**
 * Adds traceparent, tracestate and baggage for the span to an outgoing request, through a setter made
 * once per client (not a closure and a setter object per request).
 */
export function injectHeaders<T>(span: Span, request: T, setter: TextMapSetter<T>): void {
  propagation.inject(trace.setSpan(context.active(), span), request, setter);
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
  const err = error as { message?: string } | undefined;
  span.setAttribute('error.type', errorType(error));
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err?.message });
  span.end();
}

/** A request being timed for http.client.request.duration, sampled or not. */
export interface ClientMeasurement {
  startedAt: number;
  info: ClientRequestInfo;
  /** The span's context when it records, for the measurement's exemplar (see exemplarContext). */
  ctx: Context;
}

/** The error.type of a failed request: the error's code (ECONNREFUSED) or name. */
export function errorType(error: unknown): string {
  const err = error as { name?: string; code?: string } | undefined;
  return err?.code ?? err?.name ?? '_OTHER';
}

const CLIENT_DURATION_KEYS = [
  'http.request.method',
  'server.address',
  'server.port',
  'url.scheme',
  'http.response.status_code',
  'error.type',
];

export class ClientDurationMetric {
  private readonly histogram: Histogram | undefined;
  private readonly attributes = new AttributeSets(CLIENT_DURATION_KEYS);

  constructor(meter: Meter | undefined) {
    this.histogram = meter?.createHistogram('http.client.request.duration', {
      unit: 's',
      description: 'Duration of HTTP client requests',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
    });
  }

  begin(info: ClientRequestInfo, span: Span): ClientMeasurement | undefined {
    if (this.histogram === undefined) return undefined;
    return { startedAt: performance.now(), info, ctx: exemplarContext(span) };
  }

  /** `status` for a response; `failure` (an error.type) for a request that got none. */
  end(measurement: ClientMeasurement | undefined, status: number | undefined, failure?: string): void {
    if (measurement === undefined || this.histogram === undefined) return;
    const { info } = measurement;
    const attributes = this.attributes.get(
      normalizeMethod(info.method),
      info.host,
      info.port,
      info.scheme,
      status,
      failure ?? (status !== undefined && status >= 400 ? String(status) : undefined),
    );
    this.histogram.record((performance.now() - measurement.startedAt) / 1000, attributes, measurement.ctx);
  }
}
