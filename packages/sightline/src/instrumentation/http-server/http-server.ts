// One SERVER span per request for node:http and node:https servers (and every framework on them),
// from Node's diagnostics channels: no module patching, so it works in bundles too. The request
// handler and everything it awaits run inside the span's context.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  defaultTextMapGetter,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { HttpSettings } from '../settings.js';
import { LinkedContext } from '../../context/linked-context.js';
import { log } from '../../diag/logger.js';
import { SUPPRESS_TRACING_KEY } from '../../context/suppress-tracing.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { QueryRedactor } from '../redaction/url-query.js';
import { captureHeaders, methodForName, normalizeMethod, parseHost } from '../semconv.js';
import { ERROR_MESSAGE, ROUTE, SERVER_SPAN, type TracedRequest } from './route.js';
import { Patcher } from '../toolkit/patcher.js';
import { enableServerTiming } from './server-timing.js';

interface RequestMessage {
  request: TracedRequest;
  response: ServerResponse;
  socket: Socket;
}

/** Frameworks that keep the route on the request themselves (Express) register a reader here. */
export type RouteReader = (request: IncomingMessage) => string | undefined;
const routeReaders: RouteReader[] = [];
export function addRouteReader(reader: RouteReader): void {
  if (!routeReaders.includes(reader)) routeReaders.push(reader);
}
export function removeRouteReader(reader: RouteReader): void {
  const index = routeReaders.indexOf(reader);
  if (index !== -1) routeReaders.splice(index, 1);
}

const SUPPRESSED: Context = LinkedContext.ROOT.setValue(SUPPRESS_TRACING_KEY, true);

export class HttpServerInstrumentation implements Instrumentation {
  readonly name = 'http' as const;
  private tracer!: InstrumentationContext['tracer'];
  private enterWith!: InstrumentationContext['enterWith'];
  private http!: HttpSettings;
  private redactor!: QueryRedactor;
  private readonly patcher = new Patcher();
  private readonly onStart = (message: unknown): void => this.start(message as RequestMessage);
  private readonly onFinish = (message: unknown): void => this.finish(message as RequestMessage);

  enable(ctx: InstrumentationContext): void {
    this.tracer = ctx.tracer;
    this.enterWith = ctx.enterWith;
    this.http = ctx.settings.http;
    this.redactor = new QueryRedactor(this.http.redactQueryKeys);
    dc.subscribe('http.server.request.start', this.onStart);
    dc.subscribe('http.server.response.finish', this.onFinish);
    if (this.http.serverTiming) enableServerTiming(this.patcher);
  }

  disable(): void {
    dc.unsubscribe('http.server.request.start', this.onStart);
    dc.unsubscribe('http.server.response.finish', this.onFinish);
    this.patcher.restore();
  }

  private start({ request, response, socket }: RequestMessage): void {
    try {
      const url = request.url ?? '/';
      const excluded = this.http.excludedUrls;
      for (let i = 0; i < excluded.length; i++) {
        if (excluded[i]!.test(url)) {
          // Entered even so: a keep-alive socket would otherwise carry the previous request's context.
          this.enterWith(SUPPRESSED);
          return;
        }
      }
      const parent = propagation.extract(LinkedContext.ROOT, request.headers, defaultTextMapGetter);
      const method = normalizeMethod(request.method);
      // The sampler sees method and path (what URL-based sampling needs); the other attributes are
      // built only for spans that record, so an unsampled request pays for none of them.
      const query = url.indexOf('?');
      const sampling: Attributes = { 'http.request.method': method, 'url.path': query === -1 ? url : url.slice(0, query) };
      const span = this.tracer.startSpan(methodForName(method), { kind: SpanKind.SERVER, attributes: sampling }, parent);
      request[SERVER_SPAN] = span;
      if (span.isRecording()) {
        span.setAttributes(this.attributes(request, socket, url, query, method));
        response.on('close', onResponseClose);
      }
      this.enterWith(trace.setSpan(parent, span));
    } catch (error) {
      log.warnOnce('http-server-start', `could not start the HTTP server span; requests are served untraced: ${(error as Error).message}`);
    }
  }

  private attributes(request: IncomingMessage, socket: Socket, url: string, query: number, method: string): Attributes {
    const encrypted = (socket as Socket & { encrypted?: boolean }).encrypted === true;
    const headers = request.headers;
    const host = parseHost(headers.host, encrypted ? 443 : 80);
    const attributes: Attributes = {
      'url.scheme': encrypted ? 'https' : 'http',
      'network.protocol.version': request.httpVersion,
      'server.port': host.port,
    };
    if (query !== -1) attributes['url.query'] = this.redactor.redactQuery(url.slice(query + 1));
    if (method === '_OTHER') attributes['http.request.method_original'] = request.method;
    if (host.address !== undefined) attributes['server.address'] = host.address;
    if (socket.remoteAddress !== undefined) attributes['client.address'] = socket.remoteAddress;
    if (headers['user-agent'] !== undefined) attributes['user_agent.original'] = headers['user-agent'];
    const captured = this.http.captureHeaders.serverRequest;
    if (captured.length > 0) captureHeaders(attributes, 'request', captured, (name) => headers[name], this.redactor);
    return attributes;
  }

  private finish({ request, response }: RequestMessage): void {
    const span = request[SERVER_SPAN];
    if (span === undefined) return;
    request[SERVER_SPAN] = undefined;
    try {
      endServerSpan(span, request, response, undefined, this.http.captureHeaders.serverResponse, this.redactor);
    } catch (error) {
      log.warnOnce('http-server-finish', `could not end an HTTP server span: ${(error as Error).message}`);
    }
  }
}

function routeOf(request: TracedRequest): string | undefined {
  const route = request[ROUTE];
  if (route !== undefined) return route;
  for (const read of routeReaders) {
    const found = read(request);
    if (found !== undefined) return found;
  }
  return undefined;
}

function endServerSpan(
  span: Span,
  request: TracedRequest,
  response: ServerResponse,
  errorType: string | undefined,
  responseHeaders: string[],
  redactor?: QueryRedactor,
): void {
  if (!span.isRecording()) return;
  const route = routeOf(request);
  if (route !== undefined) {
    span.setAttribute('http.route', route);
    span.updateName(`${methodForName(normalizeMethod(request.method))} ${route}`);
  }
  if (errorType === undefined) {
    const status = response.statusCode;
    span.setAttribute('http.response.status_code', status);
    // 4xx is the client's error: the server span's status stays unset (semantic conventions).
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR, message: request[ERROR_MESSAGE] });
    }
    if (responseHeaders.length > 0 && redactor !== undefined) {
      const attributes: Attributes = {};
      captureHeaders(
        attributes,
        'response',
        responseHeaders,
        (name) => response.getHeader(name) as string | string[] | number | undefined,
        redactor,
      );
      span.setAttributes(attributes);
    }
  } else {
    span.setAttribute('error.type', errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response was complete' });
  }
  span.end();
}

/** Ends the span of a request whose connection closed before the response finished. */
function onResponseClose(this: ServerResponse): void {
  const request = this.req as TracedRequest | undefined;
  const span = request?.[SERVER_SPAN];
  if (request === undefined || span === undefined) return;
  request[SERVER_SPAN] = undefined;
  try {
    endServerSpan(span, request, this, 'aborted', []);
  } catch {
    // Never throw from a listener on the app's response.
  }
}
