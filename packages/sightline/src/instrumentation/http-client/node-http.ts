// CLIENT spans for node:http and node:https requests, from Node's diagnostics channels.
import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Attributes, Span, TextMapSetter } from '@opentelemetry/api';
import { isInternalClient } from '../../context/internal-objects.js';
import { log } from '../../diag/logger.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { QueryRedactor } from '../redaction/url-query.js';
import { captureHeaders, parseHost } from '../semconv.js';
import {
  ClientDurationMetric,
  endWithError,
  endWithStatus,
  errorType,
  injectHeaders,
  startClientSpan,
  type ClientMeasurement,
} from './client-span.js';

const SPAN = Symbol('sightline.httpClientSpan');
const STARTED = Symbol('sightline.httpClientStarted');
const MEASUREMENT = Symbol('sightline.httpClientMeasurement');
type TracedClientRequest = ClientRequest & {
  [SPAN]?: Span;
  [STARTED]?: boolean;
  [MEASUREMENT]?: ClientMeasurement;
  agent?: { protocol?: string; defaultPort?: number };
};

const HEADER_SETTER: TextMapSetter<ClientRequest> = {
  set(request, name, value) {
    request.setHeader(name, value);
  },
};

/** The enabled instance, for the request 'close' listener (a plain function, shared by every request). */
let duration: ClientDurationMetric | undefined;

export class NodeHttpClientInstrumentation implements Instrumentation {
  readonly name = 'http' as const;
  private ctx!: InstrumentationContext;
  private redactor!: QueryRedactor;
  private readonly onStart = (m: unknown): void => this.start((m as { request: TracedClientRequest }).request);
  private readonly onResponse = (m: unknown): void => this.response(m as { request: TracedClientRequest; response: IncomingMessage });
  private readonly onError = (m: unknown): void => this.error(m as { request: TracedClientRequest; error: unknown });

  enable(ctx: InstrumentationContext): void {
    this.ctx = ctx;
    this.redactor = new QueryRedactor(ctx.settings.http.redactQueryKeys);
    duration = new ClientDurationMetric(ctx.meter);
    // `http.client.request.created` (Node 22.12+) fires while headers can still be set.
    dc.subscribe('http.client.request.created', this.onStart);
    dc.subscribe('http.client.response.finish', this.onResponse);
    dc.subscribe('http.client.request.error', this.onError);
  }

  disable(): void {
    dc.unsubscribe('http.client.request.created', this.onStart);
    dc.unsubscribe('http.client.response.finish', this.onResponse);
    dc.unsubscribe('http.client.request.error', this.onError);
  }

  private start(request: TracedClientRequest): void {
    if (request[STARTED]) return;
    request[STARTED] = true;
    if (isInternalClient(request.agent)) return;
    try {
      const scheme = request.protocol === 'https:' || request.agent?.protocol === 'https:' ? 'https' : 'http';
      const { address, port } = parseHost(String(request.getHeader('host') ?? request.host ?? 'localhost'), scheme === 'https' ? 443 : 80);
      const host = address ?? 'localhost';
      let extra: Attributes | undefined;
      const captured = this.ctx.settings.http.captureHeaders.clientRequest;
      if (captured.length > 0) {
        extra = {};
        captureHeaders(
          extra,
          'request',
          captured,
          (name) => request.getHeader(name) as string | string[] | number | undefined,
          this.redactor,
        );
      }
      const info = { method: request.method, scheme, host, port, target: request.path } as const;
      const span = startClientSpan(this.ctx.tracer, info, this.redactor, extra);
      // Requests built from a raw header array have their headers fixed at once: those cannot carry context.
      if (!(request as unknown as { _header?: unknown })._header) injectHeaders(span, request, HEADER_SETTER);
      // Both set on every request, in this order: a property Node's request gets only on some requests
      // (a span only when sampled) gives its objects more hidden classes for Node's own code to handle.
      request[MEASUREMENT] = duration?.begin(info, span);
      request[SPAN] = span.isRecording() ? span : undefined;
      if (request[SPAN] !== undefined || request[MEASUREMENT] !== undefined) request.on('close', onRequestClose);
    } catch (error) {
      log.warnOnce('http-client-start', `could not start an HTTP client span: ${(error as Error).message}`);
    }
  }

  private response({ request, response }: { request: TracedClientRequest; response: IncomingMessage }): void {
    duration?.end(request[MEASUREMENT], response.statusCode ?? 0);
    request[MEASUREMENT] = undefined;
    const span = request[SPAN];
    if (span === undefined) return;
    request[SPAN] = undefined;
    const captured = this.ctx.settings.http.captureHeaders.clientResponse;
    if (captured.length > 0) {
      const attributes: Attributes = {};
      captureHeaders(attributes, 'response', captured, (name) => response.headers[name], this.redactor);
      span.setAttributes(attributes);
    }
    endWithStatus(span, response.statusCode ?? 0);
  }

  private error({ request, error }: { request: TracedClientRequest; error: unknown }): void {
    duration?.end(request[MEASUREMENT], undefined, errorType(error));
    request[MEASUREMENT] = undefined;
    const span = request[SPAN];
    if (span === undefined) return;
    request[SPAN] = undefined;
    endWithError(span, error);
  }
}

/** A request that closed with no response and no published error (destroyed without one): end it as failed. */
function onRequestClose(this: TracedClientRequest): void {
  duration?.end(this[MEASUREMENT], undefined, 'RequestClosed');
  this[MEASUREMENT] = undefined;
  const span = this[SPAN];
  if (span === undefined) return;
  this[SPAN] = undefined;
  try {
    endWithError(span, Object.assign(new Error('the request closed before a response arrived'), { name: 'RequestClosed' }));
  } catch {
    // Never throw from a listener on the app's request.
  }
}
