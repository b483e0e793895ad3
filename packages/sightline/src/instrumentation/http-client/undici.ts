// CLIENT spans for global fetch and undici, from undici's diagnostics channels.
import dc from 'node:diagnostics_channel';
import type { Attributes, Span, TextMapSetter } from '@opentelemetry/api';
import { log } from '../../diag/logger.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { QueryRedactor } from '../redaction/url-query.js';
import { captureHeaders } from '../semconv.js';
import {
  ClientDurationMetric,
  endWithError,
  endWithStatus,
  errorType,
  injectHeaders,
  startClientSpan,
  type ClientMeasurement,
} from './client-span.js';

const CALL = Symbol('sightline.undiciCall');

/**
 * What one request carries from its creation to its end, under one property of undici's request
 * object, set on every request: properties added to undici's objects only on some requests (a span
 * only when sampled, the status only with a response) gave them several hidden classes, and undici's
 * own code reads those objects on every request.
 */
class UndiciCall {
  /** The status of the response, once its headers arrived. */
  statusCode = 0;
  constructor(
    /** The span, while it records and has not ended. */
    public span: Span | undefined,
    public measurement: ClientMeasurement | undefined,
  ) {}
}

interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  /** An array of name/value pairs in current undici, a raw header string in old versions. */
  headers: string | string[];
  addHeader(name: string, value: string): unknown;
  [CALL]?: UndiciCall;
}

interface UndiciResponse {
  statusCode: number;
  headers: Buffer[];
}

const HEADER_SETTER: TextMapSetter<UndiciRequest> = {
  set(request, name, value) {
    request.addHeader(name, value);
  },
};

const CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:trailers', 'undici:request:error'] as const;

export class UndiciInstrumentation implements Instrumentation {
  readonly name = 'undici' as const;
  private ctx!: InstrumentationContext;
  private redactor!: QueryRedactor;
  private duration!: ClientDurationMetric;
  private readonly handlers: Record<(typeof CHANNELS)[number], (message: unknown) => void> = {
    'undici:request:create': (m) => this.create((m as { request: UndiciRequest }).request),
    'undici:request:headers': (m) => this.headers(m as { request: UndiciRequest; response: UndiciResponse }),
    'undici:request:trailers': (m) => this.done((m as { request: UndiciRequest }).request),
    'undici:request:error': (m) => this.error(m as { request: UndiciRequest; error: unknown }),
  };

  enable(ctx: InstrumentationContext): void {
    this.ctx = ctx;
    this.redactor = new QueryRedactor(ctx.settings.http.redactQueryKeys);
    this.duration = new ClientDurationMetric(ctx.meter);
    for (const name of CHANNELS) dc.subscribe(name, this.handlers[name]);
  }

  disable(): void {
    for (const name of CHANNELS) dc.unsubscribe(name, this.handlers[name]);
  }

  private create(request: UndiciRequest): void {
    try {
      const { scheme, host, port } = originOf(request.origin);
      let extra: Attributes | undefined;
      const captured = this.ctx.settings.http.captureHeaders.clientRequest;
      if (captured.length > 0) {
        extra = {};
        captureHeaders(extra, 'request', captured, (name) => requestHeader(request, name), this.redactor);
      }
      const info = { method: request.method, scheme, host, port, target: request.path } as const;
      const span = startClientSpan(this.ctx.tracer, info, this.redactor, extra);
      injectHeaders(span, request, HEADER_SETTER);
      request[CALL] = new UndiciCall(span.isRecording() ? span : undefined, this.duration.begin(info, span));
    } catch (error) {
      log.warnOnce('undici-create', `could not start a fetch client span: ${(error as Error).message}`);
    }
  }

  private headers({ request, response }: { request: UndiciRequest; response: UndiciResponse }): void {
    // The span ends when the body is complete (trailers), but the status is known now.
    const call = request[CALL];
    if (call === undefined) return;
    call.statusCode = response.statusCode;
    const span = call.span;
    if (span === undefined) return;
    const captured = this.ctx.settings.http.captureHeaders.clientResponse;
    if (captured.length > 0) {
      const attributes: Attributes = {};
      captureHeaders(attributes, 'response', captured, (name) => responseHeader(response, name), this.redactor);
      span.setAttributes(attributes);
    }
  }

  private done(request: UndiciRequest): void {
    const call = request[CALL];
    if (call === undefined) return;
    this.duration.end(call.measurement, call.statusCode);
    call.measurement = undefined;
    const span = call.span;
    if (span === undefined) return;
    call.span = undefined;
    endWithStatus(span, call.statusCode);
  }

  private error({ request, error }: { request: UndiciRequest; error: unknown }): void {
    const call = request[CALL];
    if (call === undefined) return;
    this.duration.end(call.measurement, undefined, errorType(error));
    call.measurement = undefined;
    const span = call.span;
    if (span === undefined) return;
    call.span = undefined;
    endWithError(span, error);
  }
}

interface Origin {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

// An app calls the same few origins over and over: each is parsed once (a URL parse per request cost
// about a microsecond). Bounded, and simply emptied when full.
const MAX_ORIGINS = 256;
const origins = new Map<string, Origin>();

function originOf(value: string | URL): Origin {
  const key = typeof value === 'string' ? value : value.origin;
  let origin = origins.get(key);
  if (origin === undefined) {
    const url = typeof value === 'string' ? new URL(value) : value;
    const scheme = url.protocol === 'https:' ? 'https' : 'http';
    origin = {
      scheme,
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80,
    };
    if (origins.size >= MAX_ORIGINS) origins.clear();
    origins.set(key, origin);
  }
  return origin;
}

function requestHeader(request: UndiciRequest, name: string): string | undefined {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

function responseHeader(response: UndiciResponse, name: string): string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i < response.headers.length; i += 2) {
    if (response.headers[i]!.toString('latin1').toLowerCase() === name) values.push(response.headers[i + 1]!.toString('latin1'));
  }
  return values.length > 0 ? values : undefined;
}
