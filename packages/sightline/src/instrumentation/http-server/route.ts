// Where framework instrumentations leave the route template for the HTTP server span to use.
import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';

export const SERVER_SPAN = Symbol('sightline.serverSpan');
export const ROUTE = Symbol('sightline.route');

export interface TracedRequest extends IncomingMessage {
  [SERVER_SPAN]?: Span;
  [ROUTE]?: string;
}

/** Called by Fastify, Express, Hono… when they know which route template matched this request. */
export function setRoute(request: IncomingMessage, route: string): void {
  (request as TracedRequest)[ROUTE] = route;
}

/** The server span of a request, for frameworks that report errors. */
export function serverSpanOf(request: IncomingMessage): Span | undefined {
  return (request as TracedRequest)[SERVER_SPAN];
}
