// Fastify: the route template for the server span's name and the duration metric, and the errors
// Fastify answers for the span's exception event. No patching of Fastify's code, no second SERVER span.
//
// Fastify publishes each new instance on `fastify.initialization` (Fastify 4 and 5). Sightline adds two
// hooks there, work done once per route rather than per request:
// - `onRoute`: each route's handler is wrapped to leave the route template on the request, one call
//   more per request;
// - `onError`: Fastify runs it for the first error a reply is sent with (a handler's throw or
//   rejection, a hook's error, a failed validation), before any error handler of the app's.
// Fastify 5 also publishes `tracing:fastify.request.handler`, which gives the same two things, but as
// soon as anyone subscribes, every request pays for it: a store object and its route object, a
// symbol-keyed property added to the reply, `runStores` and the end events (~580 instructions and
// ~670 bytes a request, callgrind). That channel is the fallback for an app that loaded Fastify before
// Sightline started: its instances may predate the subscription, and only the channel reaches them.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '../instrumentation.js';
import { recordHandlerError, setRoute } from '../http-server/route.js';
import { isPackageLoaded } from '../module-hook.js';
import { shortcutRunStores } from '../toolkit/run-stores-shortcut.js';
import { log } from '../../diag/logger.js';

const INITIALIZATION = 'fastify.initialization';
const HANDLER_START = 'tracing:fastify.request.handler:start';
const HANDLER_ERROR = 'tracing:fastify.request.handler:error';

interface FastifyRequestLike {
  raw?: IncomingMessage;
  /** The matched route's options, where Fastify has them: read on errors only, as each read builds an object. */
  routeOptions?: { url?: unknown };
}
type Handler = (this: unknown, request: FastifyRequestLike, reply: unknown) => unknown;
interface RouteOptionsLike {
  url?: unknown;
  handler?: unknown;
}
interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
}
interface HandlerMessage {
  request: FastifyRequestLike;
  route?: { url?: string };
  error?: unknown;
}

/** The wrappers made here: a handler already wrapped (options reused for another route) is not wrapped again. */
const wrapped = new WeakSet<Handler>();
/** Hooks stay on their instances once added (Fastify removes none); after disable() they do nothing. */
let hooksActive = false;

/** The route's handler, wrapped to leave the route template on the request before it runs. */
function onRoute(routeOptions: RouteOptionsLike): void {
  const url = routeOptions.url;
  const handler = routeOptions.handler;
  if (typeof url !== 'string' || typeof handler !== 'function' || wrapped.has(handler as Handler)) return;
  const original = handler as Handler;
  const withRoute = function (this: unknown, request: FastifyRequestLike, reply: unknown): unknown {
    const raw = request?.raw;
    if (hooksActive && raw !== undefined) setRoute(raw, url);
    return original.call(this, request, reply);
  };
  wrapped.add(withRoute);
  routeOptions.handler = withRoute;
}

/**
 * Fastify's onError hook: the error a reply is about to be sent with. The route is set here too, for an
 * error before the handler ran (a failed validation, a hook's error), which matched a route all the same.
 */
function onError(request: FastifyRequestLike, _reply: unknown, error: unknown, done: () => void): void {
  try {
    const raw = request?.raw;
    if (hooksActive && raw !== undefined) {
      const url = request.routeOptions?.url;
      if (typeof url === 'string') setRoute(raw, url);
      recordHandlerError(raw, error);
    }
  } catch {
    // The app's error answer must go out whatever happens here.
  }
  done();
}

function onInstance(message: unknown): void {
  const fastify = (message as { fastify?: FastifyLike } | undefined)?.fastify;
  if (typeof fastify?.addHook !== 'function') return;
  try {
    fastify.addHook('onRoute', onRoute);
    fastify.addHook('onError', onError);
  } catch (error) {
    log.warnOnce(
      'fastify-hooks',
      `could not add Sightline's hooks to a Fastify instance; its server spans are named by method only: ${(error as Error).message}`,
    );
  }
}

export class FastifyInstrumentation implements Instrumentation {
  readonly name = 'fastify' as const;
  /** Whether the handler channel is used (Fastify loaded before Sightline started) rather than the hooks. */
  private viaHandlerChannel = false;
  // Only the two events used, not the whole tracing channel: Fastify publishes the others (end,
  // asyncStart, asyncEnd) to no one then, rather than to three empty functions per request.
  private readonly onHandlerStart = (message: unknown): void => {
    const { request, route } = message as HandlerMessage;
    if (route?.url !== undefined && request?.raw !== undefined) setRoute(request.raw, route.url);
  };
  private readonly onHandlerError = (message: unknown): void => {
    const { request, error } = message as HandlerMessage;
    if (request?.raw !== undefined) recordHandlerError(request.raw, error);
  };

  private undoShortcut: () => void = () => {};

  enable(): void {
    this.viaHandlerChannel = isPackageLoaded('fastify');
    if (!this.viaHandlerChannel) {
      hooksActive = true;
      dc.subscribe(INITIALIZATION, onInstance);
      return;
    }
    dc.subscribe(HANDLER_START, this.onHandlerStart);
    dc.subscribe(HANDLER_ERROR, this.onHandlerError);
    // Fastify enters the handler through the start channel's runStores, which Node 26 made costly.
    this.undoShortcut = shortcutRunStores(HANDLER_START);
  }

  disable(): void {
    hooksActive = false;
    dc.unsubscribe(INITIALIZATION, onInstance);
    if (!this.viaHandlerChannel) return;
    this.undoShortcut();
    dc.unsubscribe(HANDLER_START, this.onHandlerStart);
    dc.unsubscribe(HANDLER_ERROR, this.onHandlerError);
  }
}
