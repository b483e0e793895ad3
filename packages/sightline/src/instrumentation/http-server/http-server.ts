// One SERVER span per request for node:http and node:https servers (and every framework on them),
// from Node's diagnostics channels: no module patching, so it works in bundles too. The request
// handler and everything it awaits run inside the span's context.
import { performance } from 'node:perf_hooks';
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
  type AttributeValue,
  type Context,
  type Histogram,
  type Span,
} from '@opentelemetry/api';
import type { HttpSettings } from '../settings.js';
import { LinkedContext } from '../../context/linked-context.js';
import { log } from '../../diag/logger.js';
import { RecordingSpan } from '../../trace/span.js';
import { SharedAttributes } from '../../trace/shared-attributes.js';
import { SightlineTracer } from '../../trace/tracer.js';
import { isInternalServer, SUPPRESS_TRACING_KEY } from '../../context/suppress-tracing.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { QueryRedactor } from '../redaction/url-query.js';
import { captureHeaders, methodForName, normalizeMethod, parseHost } from '../semconv.js';
import { requestStateOf, ServerRequestState, setRequestState } from './route.js';
import { AttributeSets } from '../toolkit/attribute-sets.js';
import { AttributeCollector, type AttributeTarget } from '../toolkit/attribute-collector.js';
import { HTTP_DURATION_BUCKETS } from '../semconv.js';
import { Patcher } from '../toolkit/patcher.js';
import { enableServerTiming } from './server-timing.js';
import { setIdleTimeoutsOutsideAnyContext } from './idle-timeout-context.js';
import { joinedSpanName } from '../toolkit/span-names.js';

interface RequestMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  server?: unknown;
}

/** http.server.request.duration's attributes (stable HTTP conventions), in the order AttributeSets takes them. */
export const DURATION_KEYS = [
  'http.request.method',
  'url.scheme',
  'http.route',
  'http.response.status_code',
  'error.type',
  'network.protocol.version',
];

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
  private duration: Histogram | undefined;
  private readonly durationAttributes = new AttributeSets(DURATION_KEYS);
  private readonly patcher = new Patcher();
  /** The header names the propagators read: a request with none of them has no context to extract. */
  private propagationFields: string[] = [];
  /** Whether the tracer's sampler may read the attributes a span starts with (see SightlineTracer.readsStartAttributes). */
  private samplerReadsAttributes = true;
  private readonly onStart = (message: unknown): void => this.start(message as RequestMessage);
  private readonly onFinish = (message: unknown): void => this.finish(message as RequestMessage);

  enable(ctx: InstrumentationContext): void {
    instrumentation = this;
    this.tracer = ctx.tracer;
    this.samplerReadsAttributes = !(ctx.tracer instanceof SightlineTracer) || ctx.tracer.readsStartAttributes;
    this.enterWith = ctx.enterWith;
    this.http = ctx.settings.http;
    this.redactor = new QueryRedactor(this.http.redactQueryKeys);
    this.propagationFields = propagation.fields().map((f) => f.toLowerCase());
    this.duration = ctx.meter?.createHistogram('http.server.request.duration', {
      unit: 's',
      description: 'Duration of HTTP server requests',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
    });
    dc.subscribe('http.server.request.start', this.onStart);
    dc.subscribe('http.server.response.finish', this.onFinish);
    if (this.http.serverTiming) enableServerTiming(this.patcher);
    setIdleTimeoutsOutsideAnyContext(this.patcher);
  }

  disable(): void {
    if (instrumentation === this) instrumentation = undefined;
    dc.unsubscribe('http.server.request.start', this.onStart);
    dc.unsubscribe('http.server.response.finish', this.onFinish);
    this.patcher.restore();
  }

  private start({ request, response, socket, server }: RequestMessage): void {
    try {
      if (isInternalServer(server)) {
        this.enterWith(SUPPRESSED);
        return;
      }
      const url = request.url ?? '/';
      const excluded = this.http.excludedUrls;
      for (let i = 0; i < excluded.length; i++) {
        if (excluded[i]!.test(url)) {
          // Entered even so: a keep-alive socket would otherwise carry the previous request's context.
          this.enterWith(SUPPRESSED);
          return;
        }
      }
      // Read once and passed on: `headers` is a getter of Node's, ~40 instructions a read (callgrind).
      const headers = request.headers;
      const parent = this.hasPropagationHeader(headers)
        ? propagation.extract(LinkedContext.ROOT, headers, defaultTextMapGetter)
        : LinkedContext.ROOT;
      const method = normalizeMethod(request.method);
      // A sampler that may read attributes sees method and path (what URL-based sampling needs); the
      // other attributes are built only for spans that record. With Sightline's own samplers, which read
      // none, the two are set once the span records, so an unsampled request builds nothing at all.
      let query = this.samplerReadsAttributes ? url.indexOf('?') : -1;
      const sampling = this.samplerReadsAttributes ? startAttributes(method, url, query) : undefined;
      // One clock reading for the duration metric and the span's start (a recording span reads the clock
      // otherwise): they then agree exactly, and a request reads the clock once less at each end.
      const startedAt = this.duration === undefined ? undefined : performance.now();
      const span = this.tracer.startSpan(
        methodForName(method),
        { kind: SpanKind.SERVER, attributes: sampling, startTime: startedAt },
        parent,
      );
      if (sampling === undefined && span.isRecording() && span instanceof RecordingSpan) {
        query = url.indexOf('?');
        // Onto the new span's empty list in one pass, as the tracer would have set them (setAttribute
        // would look each key up among the span's others first).
        span.setInitialAttributes(startAttributes(method, url, query));
      }
      const active = trace.setSpan(parent, span);
      setRequestState(request, new ServerRequestState(span, startedAt ?? NaN, active, method));
      let connection: Connection | undefined;
      if (socket !== undefined && socket !== null) connection = connections.get(socket) ?? watchSocket(socket);
      if (span.isRecording() || this.duration !== undefined) watchForAbort(socket, response);
      if (span.isRecording()) {
        if (span instanceof RecordingSpan && span.tail !== undefined) {
          // Held by the tail sampler, which drops most such requests: built only if it keeps this one.
          // The client address can be read then, after the connection closed: watchSocket read it on the
          // connection's first request, and Node keeps what it read.
          span.setExportAttributes(() => {
            const collected = new AttributeCollector();
            connectionAttributes(undefined, request, headers, socket).setOn(collected);
            this.setRequestAttributes(collected, request, headers, url, query, method);
            return collected.attributes;
          });
        } else {
          if (span instanceof RecordingSpan) span.shareAttributes(connectionAttributes(connection, request, headers, socket));
          else connectionAttributes(undefined, request, headers, socket).setOn(span); // not Sightline's span: set one by one
          this.setRequestAttributes(span, request, headers, url, query, method);
        }
      }
      this.enterWith(active);
    } catch (error) {
      log.warnOnce('http-server-start', `could not start the HTTP server span; requests are served untraced: ${(error as Error).message}`);
    }
  }

  private hasPropagationHeader(headers: IncomingMessage['headers']): boolean {
    const fields = this.propagationFields;
    const n = fields.length;
    // No fields known (a propagator that lists none): extract every time, as it may read anything.
    if (n === 0) return true;
    // The first four fields each read at a place of their own, where the name never changes: one place
    // reading several names is a megamorphic lookup each time (~140 instructions per request for the
    // default traceparent, tracestate and baggage, callgrind), one name a direct load.
    if (headers[fields[0]!] !== undefined) return true;
    if (n > 1 && headers[fields[1]!] !== undefined) return true;
    if (n > 2 && headers[fields[2]!] !== undefined) return true;
    if (n > 3 && headers[fields[3]!] !== undefined) return true;
    for (let i = 4; i < n; i++) if (headers[fields[i]!] !== undefined) return true;
    return false;
  }

  /**
   * The attributes only a recorded span carries that are the request's own (the connection's are
   * connectionAttributes()), set one by one on the span (or on a collector, for a span the tail sampler
   * holds): no object built to be copied from, which was a hidden-class transition per attribute and a
   * for-in over it for every sampled request. The user agent is the request's: behind a proxy, one
   * connection carries many clients' requests.
   */
  private setRequestAttributes(
    target: AttributeTarget,
    request: IncomingMessage,
    headers: IncomingMessage['headers'],
    url: string,
    query: number,
    method: string,
  ): void {
    if (query !== -1) target.setAttribute('url.query', this.redactor.redactQuery(url.slice(query + 1)));
    if (method === '_OTHER' && request.method !== undefined) target.setAttribute('http.request.method_original', request.method);
    const userAgent = headers['user-agent'];
    if (userAgent !== undefined) target.setAttribute('user_agent.original', userAgent);
    const captured = this.http.captureHeaders.serverRequest;
    if (captured.length > 0) {
      const attributes: Attributes = {};
      captureHeaders(attributes, 'request', captured, (name) => headers[name], this.redactor);
      for (const key in attributes) target.setAttribute(key, attributes[key] as AttributeValue);
    }
  }

  private finish({ request, response, socket }: RequestMessage): void {
    const state = requestStateOf(request);
    const span = state?.span;
    if (span === undefined) return;
    state!.span = undefined;
    forgetQueued(socket, response);
    try {
      const endedAt = state!.readEnd();
      this.recordDuration(request, state!, response, undefined, endedAt);
      endServerSpan(span, request, state!, response, undefined, endedAt, this.http.captureHeaders.serverResponse, this.redactor);
    } catch (error) {
      log.warnOnce('http-server-finish', `could not end an HTTP server span: ${(error as Error).message}`);
    }
  }

  /**
   * Every request counts, sampled or not: rates and latencies must not depend on the trace sampler.
   * `endedAt` is the performance.now() reading the span's end shares.
   */
  recordDuration(
    request: IncomingMessage,
    state: ServerRequestState,
    response: ServerResponse,
    aborted: string | undefined,
    endedAt: number | undefined,
  ): void {
    const started = state.startedAt;
    if (this.duration === undefined || Number.isNaN(started) || endedAt === undefined) return;
    const status = aborted === undefined ? response.statusCode : undefined;
    const attributes = this.durationAttributes.get(
      state.method,
      (request.socket as (Socket & { encrypted?: boolean }) | null)?.encrypted === true ? 'https' : 'http',
      routeOf(request, state),
      status,
      aborted ?? (status !== undefined && status >= 500 ? String(status) : undefined),
      request.httpVersion,
    );
    this.duration.record((endedAt - started) / 1000, attributes, state.context);
  }
}

/** What a server span starts with: the method and the path (`query`: where the URL's `?` is, -1 for none). */
function startAttributes(method: string, url: string, query: number): Attributes {
  return { 'http.request.method': method, 'url.path': query === -1 ? url : url.slice(0, query) };
}

/** The enabled instance, for the sockets' 'close' listener (a plain function, shared by every socket). */
let instrumentation: HttpServerInstrumentation | undefined;

// A request whose connection closes before its response finished gets no response-finish message: its
// span ends, and its duration is recorded, as aborted when the socket closes. One listener per
// connection, not one per response (that was ~150 ns of every request); the socket's current response
// is Node's own `_httpMessage`. Nothing is stored on the socket (what Sightline keeps about it is in a
// WeakMap): each property added there is one more hidden class for Node's socket and stream code.
//
// A second request at once on the same connection (HTTP pipelining) is not yet the socket's response:
// it waits in Node's queue, and Node 22 never emits 'close' on a queued response when the connection
// closes, so the socket's listener ends those too, from a list kept only for pipelining connections.
/** What the requests of one connection share. */
class Connection {
  /** The attributes its last sampled request's span was given, with what they were made from. */
  attributes: SharedAttributes | undefined = undefined;
  host: string | undefined = undefined;
  version = '';
}

const connections = new WeakMap<Socket, Connection>();
const queuedResponses = new WeakMap<Socket, ServerResponse[]>();
/** Whether any connection pipelined: until then, a finished response has no list to leave. */
let sawPipelining = false;
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * On a connection's first request, whether or not it is sampled: listens for the connection's close,
 * and reads the peer address. Node caches that address on the socket (`_peername`, a property added
 * on first read), and a property added at a different point of each socket's life (at whichever of its
 * requests happened to be sampled first) gives Node's sockets several hidden classes. Past four, every
 * property read in Node's socket, stream and HTTP code becomes a megamorphic lookup: that was about
 * 4,300 instructions per request at 10% sampling (callgrind), 0.6-1.5 µs (perf). Read here, every socket
 * takes the same path; it costs one getpeername per connection.
 */
function watchSocket(socket: HttpSocket): Connection {
  const connection = new Connection();
  connections.set(socket, connection);
  socket.once('close', onSocketClose);
  void socket.remoteAddress;
  return connection;
}

/**
 * A server span's attributes that come from its connection: scheme, protocol version, server address
 * and port (the Host header) and client address (the peer). Made once per connection and shared by the
 * spans of its requests (trace/shared-attributes.ts), made again when a request's Host header or
 * protocol version differs from the previous one's; with no connection to keep them on, made for this
 * request alone.
 */
function connectionAttributes(
  connection: Connection | undefined,
  request: IncomingMessage,
  headers: IncomingMessage['headers'],
  socket: Socket,
): SharedAttributes {
  const hostHeader = headers.host;
  const version = request.httpVersion;
  if (connection !== undefined) {
    const kept = connection.attributes;
    if (kept !== undefined && connection.host === hostHeader && connection.version === version) return kept;
  }
  const encrypted = (socket as (Socket & { encrypted?: boolean }) | null | undefined)?.encrypted === true;
  const host = parseHost(hostHeader, encrypted ? 443 : 80);
  const list: (string | number)[] = [
    'url.scheme',
    encrypted ? 'https' : 'http',
    'network.protocol.version',
    version,
    'server.port',
    host.port,
  ];
  if (host.address !== undefined) list.push('server.address', host.address);
  const client = (socket as Socket | null | undefined)?.remoteAddress;
  if (client !== undefined) list.push('client.address', client);
  const attributes = new SharedAttributes(list);
  if (connection !== undefined) {
    connection.attributes = attributes;
    connection.host = hostHeader;
    connection.version = version;
  }
  return attributes;
}

function watchForAbort(socket: HttpSocket | undefined | null, response: ServerResponse): void {
  if (socket === undefined || socket === null) {
    response.on('close', () => abort(response));
    return;
  }
  // At request start Node has not yet given the socket to this response; a response already there
  // is an earlier request's, still being written, and this one waits behind it.
  if (socket._httpMessage !== null && socket._httpMessage !== undefined) {
    sawPipelining = true;
    const queued = queuedResponses.get(socket);
    if (queued === undefined) queuedResponses.set(socket, [response]);
    else queued.push(response);
  }
}

/** A response that finished no longer waits to be aborted with its connection. */
function forgetQueued(socket: Socket | undefined | null, response: ServerResponse): void {
  if (!sawPipelining || socket === undefined || socket === null) return;
  const queued = queuedResponses.get(socket);
  if (queued === undefined) return;
  const index = queued.indexOf(response);
  if (index !== -1) queued.splice(index, 1);
  if (queued.length === 0) queuedResponses.delete(socket);
}

function onSocketClose(this: HttpSocket): void {
  const response = this._httpMessage;
  if (response !== null && response !== undefined) abort(response);
  const queued = queuedResponses.get(this);
  if (queued === undefined) return;
  queuedResponses.delete(this);
  for (const waiting of queued) abort(waiting);
}

/** Ends the span of a request whose connection closed before the response finished. */
function abort(response: ServerResponse): void {
  const request = response.req as IncomingMessage | undefined;
  const state = requestStateOf(request);
  const span = state?.span;
  if (span === undefined) return;
  state!.span = undefined;
  try {
    const endedAt = state!.readEnd();
    instrumentation?.recordDuration(request!, state!, response, 'aborted', endedAt);
    endServerSpan(span, request!, state!, response, 'aborted', endedAt, []);
  } catch {
    // Never throw from a listener on the app's socket.
  }
}

function routeOf(request: IncomingMessage, state: ServerRequestState): string | undefined {
  const route = state.route;
  if (route !== undefined) return route;
  for (const read of routeReaders) {
    const found = read(request);
    if (found !== undefined) return found;
  }
  return undefined;
}

function endServerSpan(
  span: Span,
  request: IncomingMessage,
  state: ServerRequestState,
  response: ServerResponse,
  errorType: string | undefined,
  endedAt: number | undefined,
  responseHeaders: string[],
  redactor?: QueryRedactor,
): void {
  if (!span.isRecording()) return;
  const route = routeOf(request, state);
  if (route !== undefined) {
    span.setAttribute('http.route', route);
    span.updateName(joinedSpanName(methodForName(state.method), route));
  }
  if (errorType === undefined) {
    const status = response.statusCode;
    span.setAttribute('http.response.status_code', status);
    // 4xx is the client's error: the server span's status stays unset (semantic conventions).
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR, message: state.errorMessage });
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
  span.end(endedAt);
}
