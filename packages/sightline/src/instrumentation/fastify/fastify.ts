// Fastify 5 publishes `tracing:fastify.request.handler`: the route template for the server span's
// name, and the handler's errors for its exception event. No patching, no second SERVER span.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '../instrumentation.js';
import { recordHandlerError, setRoute } from '../http-server/route.js';
import { shortcutRunStores } from '../toolkit/run-stores-shortcut.js';

const START = 'tracing:fastify.request.handler:start';
const ERROR = 'tracing:fastify.request.handler:error';

interface HandlerMessage {
  request: { raw: IncomingMessage };
  route?: { url?: string };
  error?: unknown;
}

export class FastifyInstrumentation implements Instrumentation {
  readonly name = 'fastify' as const;
  // Only the two events used, not the whole tracing channel: Fastify publishes the others (end,
  // asyncStart, asyncEnd) to no one then, rather than to three empty functions per request.
  private readonly onStart = (message: unknown): void => {
    const { request, route } = message as HandlerMessage;
    if (route?.url !== undefined && request?.raw !== undefined) setRoute(request.raw, route.url);
  };
  private readonly onError = (message: unknown): void => {
    const { request, error } = message as HandlerMessage;
    if (request?.raw !== undefined) recordHandlerError(request.raw, error);
  };

  private undoShortcut: () => void = () => {};

  enable(): void {
    dc.subscribe(START, this.onStart);
    dc.subscribe(ERROR, this.onError);
    // Fastify enters the handler through the start channel's runStores, which Node 26 made costly.
    this.undoShortcut = shortcutRunStores(START);
  }

  disable(): void {
    this.undoShortcut();
    dc.unsubscribe(START, this.onStart);
    dc.unsubscribe(ERROR, this.onError);
  }
}
