// NestJS runs on Express or Fastify, whose instrumentations already give the route and the single
// SERVER span. Nest catches handler exceptions itself, so they never reach the router: its default
// exception filter is where the exception event is recorded.
import type { IncomingMessage } from 'node:http';
import { recordHandlerError } from '../http-server/route.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';

interface ArgumentsHost {
  getType?(): string;
  switchToHttp(): { getRequest(): unknown };
}

type Catch = (this: unknown, exception: unknown, host: ArgumentsHost) => unknown;

function isClientError(exception: unknown): boolean {
  const status = (exception as { getStatus?: () => number })?.getStatus?.();
  return typeof status === 'number' && status < 500;
}

function record(exception: unknown, host: ArgumentsHost): void {
  if (host?.getType !== undefined && host.getType() !== 'http') return;
  if (isClientError(exception)) return; // a 4xx HttpException is the client's error, not the server's
  const request = host.switchToHttp().getRequest() as (IncomingMessage & { raw?: IncomingMessage }) | undefined;
  const raw = request?.raw ?? request;
  if (raw !== undefined) recordHandlerError(raw, exception);
}

function patchExceptionFilter(patcher: Patcher, core: unknown): void {
  const filter = (core as { BaseExceptionFilter?: { prototype: object } }).BaseExceptionFilter;
  patcher.wrap<Catch>(
    filter?.prototype,
    'catch',
    (original) =>
      function (this: unknown, exception: unknown, host: ArgumentsHost) {
        try {
          record(exception, host);
        } catch {
          // Never let recording change how Nest answers.
        }
        return original.call(this, exception, host);
      },
  );
}

export class NestInstrumentation extends PatchingInstrumentation {
  readonly name = 'nestjs' as const;

  enable(): void {
    this.onLoad('@nestjs/core', (core) => patchExceptionFilter(this.patcher, core));
  }
}
