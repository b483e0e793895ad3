// Express 4 and 5. The route needs no patching: Express leaves the matched route on `req.route` and
// the mount path on `req.baseUrl`, read when the server span ends. Errors a handler throws or passes
// to next() are caught by a thin wrap of the router's final callback, for the exception event.
import type { IncomingMessage } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Instrumentation } from '../instrumentation.js';
import { onModuleLoad } from '../module-hook.js';
import { addRouteReader } from '../http-server/http-server.js';
import { serverSpanOf } from '../http-server/route.js';

interface ExpressRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

const RECORDED = Symbol('sightline.expressErrorRecorded');
const PATCHED = Symbol.for('sightline.expressPatched');

function expressRoute(request: IncomingMessage): string | undefined {
  const route = (request as ExpressRequest).route;
  if (route === undefined || route === null || route.path === undefined) return undefined;
  const path = Array.isArray(route.path) ? route.path.map(String).join(',') : String(route.path);
  return ((request as ExpressRequest).baseUrl ?? '') + path;
}

type Handle = (this: unknown, req: IncomingMessage, res: unknown, out?: (err?: unknown) => void) => unknown;

function recordError(req: IncomingMessage, err: unknown): void {
  if (err === undefined || err === null || err === 'route' || err === 'router') return;
  if (typeof err === 'object' && (err as Record<symbol, boolean>)[RECORDED]) return;
  const span = serverSpanOf(req);
  if (span === undefined || !span.isRecording()) return;
  if (typeof err === 'object') (err as Record<symbol, boolean>)[RECORDED] = true;
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
}

function patchRouter(express: unknown): void {
  const Router = (express as { Router?: () => object }).Router;
  if (typeof Router !== 'function') return;
  // Express 4's Router() has the router prototype directly; Express 5's (the `router` package) has a
  // Router instance in between. Patch whichever object owns handle(), so every router gets it.
  let proto = Object.getPrototypeOf(Router()) as { handle?: Handle; [PATCHED]?: boolean } | null;
  while (proto !== null && !Object.prototype.hasOwnProperty.call(proto, 'handle')) proto = Object.getPrototypeOf(proto);
  if (proto === null || typeof proto.handle !== 'function' || proto[PATCHED]) return;
  const original = proto.handle;
  proto[PATCHED] = true;
  proto.handle = function handle(this: unknown, req, res, out) {
    if (typeof out !== 'function') return original.call(this, req, res, out);
    return original.call(this, req, res, function done(this: unknown, err?: unknown) {
      recordError(req, err);
      return (out as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
    });
  };
}

export class ExpressInstrumentation implements Instrumentation {
  readonly name = 'express' as const;

  enable(): void {
    addRouteReader(expressRoute);
    onModuleLoad('express', patchRouter);
  }

  disable(): void {
    // The route reader and the router wrap stay; they do nothing once the http instrumentation is off.
  }
}
