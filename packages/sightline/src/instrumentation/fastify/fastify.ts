// Fastify 5 publishes `tracing:fastify.request.handler`: the route template for the server span's
// name, and the handler's errors for its exception event. No patching, no second SERVER span.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '../instrumentation.js';
import { recordHandlerError, setRoute } from '../http-server/route.js';

interface HandlerMessage {
  request: { raw: IncomingMessage };
  route?: { url?: string };
  error?: unknown;
}

export class FastifyInstrumentation implements Instrumentation {
  readonly name = 'fastify' as const;
  private readonly channel = dc.tracingChannel('fastify.request.handler');
  private readonly subscribers = {
    start: (message: unknown): void => {
      const { request, route } = message as HandlerMessage;
      if (route?.url !== undefined && request?.raw !== undefined) setRoute(request.raw, route.url);
    },
    end: (): void => {},
    asyncStart: (): void => {},
    asyncEnd: (): void => {},
    error: (message: unknown): void => {
      const { request, error } = message as HandlerMessage;
      if (request?.raw !== undefined) recordHandlerError(request.raw, error);
    },
  };

  enable(): void {
    this.channel.subscribe(this.subscribers);
  }

  disable(): void {
    this.channel.unsubscribe(this.subscribers);
  }
}
