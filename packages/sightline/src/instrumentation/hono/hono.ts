// Hono on @hono/node-server publishes no channels. When `hono` loads, the default router's add() is
// wrapped so that each route handler (not use() middleware) records its route template on the
// IncomingMessage that @hono/node-server passes as c.env.incoming, and reports what it throws.
import type { IncomingMessage } from 'node:http';
import type { EsmTarget } from '../esm-patch.js';
import { recordHandlerError, setRoute } from '../http-server/route.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';

interface HonoContext {
  env?: { incoming?: IncomingMessage };
}
type Handler = (c: HonoContext, next: unknown) => unknown;
interface RouteRecord {
  path: string;
  method: string;
}
type Add = (this: unknown, method: string, path: string, handler: [Handler, RouteRecord] | unknown) => unknown;

function recordError(incoming: IncomingMessage | undefined, error: unknown): void {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status < 500) return; // an HTTPException for the client's mistake
  if (incoming !== undefined) recordHandlerError(incoming, error);
}

function wrap(handler: Handler, route: string): Handler {
  return function sightlineRoute(c, next) {
    const incoming = c?.env?.incoming;
    if (incoming !== undefined) setRoute(incoming, route);
    let result: unknown;
    try {
      result = handler(c, next);
    } catch (error) {
      recordError(incoming, error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        recordError(incoming, error);
        throw error;
      });
    }
    return result;
  };
}

function patchRouterPrototype(patcher: Patcher, proto: object | undefined): void {
  patcher.wrap<Add>(
    proto,
    'add',
    (original) =>
      function add(this: unknown, method: string, path: string, entry: unknown) {
        // Hono 4 adds [handler, routeRecord]; use() middleware is method ALL and names no route.
        if (Array.isArray(entry) && typeof entry[0] === 'function' && method !== 'ALL') {
          const record = entry[1] as RouteRecord | undefined;
          entry = [wrap(entry[0] as Handler, record?.path ?? path), record];
        }
        return original.call(this, method, path, entry);
      },
  );
}

export class HonoInstrumentation extends PatchingInstrumentation {
  readonly name = 'hono' as const;

  /** CommonJS: the default router's prototype, from a throwaway app. Routes added while enabled keep
   * their thin wrapper after disable(), which does nothing once the HTTP spans stop. */
  enable(): void {
    this.onLoad('hono', (hono) => {
      const Hono = (hono as { Hono?: new () => { router?: object } }).Hono;
      if (typeof Hono === 'function') patchRouterPrototype(this.patcher, Object.getPrototypeOf(new Hono().router ?? {}) as object);
    });
  }

  /** ES-module apps load Hono's ESM build; its SmartRouter is handed over by the loader hook. */
  esmTargets(): EsmTarget[] {
    return [
      {
        packageName: 'hono',
        suffix: '/node_modules/hono/dist/router/smart-router/router.js',
        exportName: 'SmartRouter',
        onExport: (SmartRouter) => patchRouterPrototype(this.patcher, (SmartRouter as { prototype: object }).prototype),
      },
    ];
  }
}
