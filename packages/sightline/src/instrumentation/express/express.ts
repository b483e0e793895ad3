// Express 4 and 5. The route needs no patching: Express leaves the matched route on `req.route` and
// the mount path on `req.baseUrl`, read when the server span ends. Errors a handler throws or passes
// to next() are seen where the router hands them on: at an error-handling middleware of the app's own
// (the router Layer's handleError / handle_error), or at the router's final callback when the app has
// none (Express's default handler answers then).
import type { IncomingMessage } from 'node:http';
import { addRouteReader, removeRouteReader } from '../http-server/http-server.js';
import { recordHandlerError } from '../http-server/route.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';

interface ExpressRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

const RECORDED = Symbol('sightline.expressErrorRecorded');

function expressRoute(request: IncomingMessage): string | undefined {
  const route = (request as ExpressRequest).route;
  if (route === undefined || route === null || route.path === undefined) return undefined;
  const path = Array.isArray(route.path) ? route.path.map(String).join(',') : String(route.path);
  return ((request as ExpressRequest).baseUrl ?? '') + path;
}

type Handle = (this: unknown, req: IncomingMessage, res: unknown, out?: (err?: unknown) => void) => unknown;
type HandleError = (this: { handle?: { length: number } }, error: unknown, req: IncomingMessage, res: unknown, next: unknown) => unknown;

/** Once per error object: it may pass several error middlewares, and the final callback after them. */
function recordError(req: IncomingMessage, err: unknown): void {
  if (err === undefined || err === null || err === 'route' || err === 'router') return;
  if (typeof err === 'object') {
    if ((err as Record<symbol, boolean>)[RECORDED]) return;
    (err as Record<symbol, boolean>)[RECORDED] = true;
  }
  recordHandlerError(req, err);
}

/** The object on `start`'s prototype chain that owns `method`. */
function owner(start: object | null, method: string): object | undefined {
  let proto = start;
  while (proto !== null && !Object.prototype.hasOwnProperty.call(proto, method)) proto = Object.getPrototypeOf(proto) as object | null;
  return proto ?? undefined;
}

/** The router prototype (Express 4's Router() has it directly, Express 5's `router` one level down) and the Layer prototype. */
function prototypes(express: unknown): { router: object | undefined; layer: object | undefined } {
  const Router = (express as { Router?: () => { use(fn: unknown): void; stack?: object[] } }).Router;
  if (typeof Router !== 'function') return { router: undefined, layer: undefined };
  const router = Router();
  router.use((_req: unknown, _res: unknown, next: () => void) => next());
  const layer = router.stack?.[0];
  return {
    router: owner(Object.getPrototypeOf(router) as object, 'handle'),
    layer:
      layer === undefined
        ? undefined
        : (owner(Object.getPrototypeOf(layer) as object, 'handleError') ?? owner(Object.getPrototypeOf(layer) as object, 'handle_error')),
  };
}

function patch(patcher: Patcher, express: unknown): void {
  const targets = prototypes(express);
  patcher.wrap<Handle>(
    targets.router,
    'handle',
    (original) =>
      function handle(this: unknown, req, res, out) {
        if (typeof out !== 'function') return original.call(this, req, res, out);
        return original.call(this, req, res, function done(this: unknown, ...args: unknown[]) {
          recordError(req, args[0]);
          return (out as (...a: unknown[]) => unknown).apply(this, args);
        });
      },
  );
  // An error-handling middleware (four parameters) about to receive an error: the app handles it
  // itself, so the final callback may never see it.
  for (const method of ['handleError', 'handle_error']) {
    patcher.wrap<HandleError>(
      targets.layer,
      method,
      (original) =>
        function handleError(this: { handle?: { length: number } }, error, req, res, next) {
          if (this.handle?.length === 4) recordError(req, error);
          return original.call(this, error, req, res, next);
        },
    );
  }
}

export class ExpressInstrumentation extends PatchingInstrumentation {
  readonly name = 'express' as const;

  enable(): void {
    addRouteReader(expressRoute);
    this.onDisable(() => removeRouteReader(expressRoute));
    this.onLoad('express', (express) => patch(this.patcher, express));
  }
}
