// Where framework instrumentations leave the route template for the HTTP server span to use.
import type { IncomingMessage } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';

export const SERVER_SPAN = Symbol('sightline.serverSpan');
export const ROUTE = Symbol('sightline.route');
export const ERROR_MESSAGE = Symbol('sightline.errorMessage');
/** When the request began (performance.now()) and the context its span made active: for the duration metric and its exemplar. */
export const STARTED_AT = Symbol('sightline.startedAt');
export const REQUEST_CONTEXT = Symbol('sightline.requestContext');

export interface TracedRequest extends IncomingMessage {
  [SERVER_SPAN]?: Span;
  [STARTED_AT]?: number;
  [REQUEST_CONTEXT]?: Context;
  [ROUTE]?: string;
  /** The message of an error a handler raised, for the span's status if the response is a 5xx. */
  [ERROR_MESSAGE]?: string;
}

/** Called by Fastify, Express, Hono… when they know which route template matched this request. */
export function setRoute(request: IncomingMessage, route: string): void {
  (request as TracedRequest)[ROUTE] = route;
}

/**
 * An error a handler raised, seen by a framework's error path: the exception event now; the status
 * when the response ends, ERROR with this message if it is a 5xx (a 4xx is the client's error).
 */
export function recordHandlerError(request: IncomingMessage, error: unknown): void {
  const span = serverSpanOf(request);
  if (span === undefined || !span.isRecording()) return;
  span.recordException(error as Error);
  const message = (error as Error | undefined)?.message;
  if (typeof message === 'string') (request as TracedRequest)[ERROR_MESSAGE] = message;
}

/** The server span of a request, for frameworks that report errors. */
export function serverSpanOf(request: IncomingMessage): Span | undefined {
  return (request as TracedRequest)[SERVER_SPAN];
}
