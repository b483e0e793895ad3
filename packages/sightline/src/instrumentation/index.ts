// Installs the instrumentations the configuration enables.
import type { Meter, Tracer } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { log } from '../diag/logger.js';
import { ExpressInstrumentation } from './express/express.js';
import { FastifyInstrumentation } from './fastify/fastify.js';
import { HonoInstrumentation } from './hono/hono.js';
import { NodeHttpClientInstrumentation } from './http-client/node-http.js';
import { UndiciInstrumentation } from './http-client/undici.js';
import { HttpServerInstrumentation } from './http-server/http-server.js';
import { registerEsmPatches, type EsmTarget } from './esm-patch.js';
import type { Instrumentation, InstrumentationContext } from './instrumentation.js';
import type { InstrumentationName, InstrumentationSettings } from './settings.js';
import { NestInstrumentation } from './nestjs/nestjs.js';
import { PgInstrumentation } from './pg/pg.js';
import { IoredisInstrumentation, NodeRedisInstrumentation } from './redis/redis.js';
import { BullmqInstrumentation } from './bullmq/bullmq.js';
import { PgBossInstrumentation } from './pg-boss/pg-boss.js';
import { PinoInstrumentation } from './logs/pino.js';
import { WinstonInstrumentation } from './logs/winston.js';
import { BunyanInstrumentation } from './logs/bunyan.js';
import { ConsoleInstrumentation } from './logs/console.js';
import { ChildProcessInstrumentation } from './child-process/child-process.js';

export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpServerInstrumentation(),
    new NodeHttpClientInstrumentation(),
    new UndiciInstrumentation(),
    new FastifyInstrumentation(),
    new ExpressInstrumentation(),
    new NestInstrumentation(),
    new HonoInstrumentation(),
    new PgInstrumentation(),
    new IoredisInstrumentation(),
    new NodeRedisInstrumentation(),
    new BullmqInstrumentation(),
    new PgBossInstrumentation(),
    new PinoInstrumentation(),
    new WinstonInstrumentation(),
    new BunyanInstrumentation(),
    new ConsoleInstrumentation(),
    new ChildProcessInstrumentation(),
  ];
}

/**
 * Enables the named instrumentations; the returned function disables them all again, restoring
 * every patched library and forgetting the ES-module targets not yet loaded.
 */
export function enableInstrumentations(
  names: readonly InstrumentationName[],
  settings: InstrumentationSettings,
  getTracer: (scope: string) => Tracer,
  getMeter: (scope: string) => Meter | undefined,
  getLogger: (scope: string) => Logger | undefined,
  enterWith: InstrumentationContext['enterWith'],
): () => void {
  const enabled: Instrumentation[] = [];
  const esmTargets: EsmTarget[] = [];
  for (const instrumentation of createInstrumentations()) {
    if (!names.includes(instrumentation.name)) continue;
    try {
      const scope = `@sightline/instrumentation-${instrumentation.name}`;
      instrumentation.enable({ tracer: getTracer(scope), meter: getMeter(scope), logger: getLogger(scope), settings, enterWith });
      enabled.push(instrumentation);
      esmTargets.push(...(instrumentation.esmTargets?.() ?? []));
    } catch (error) {
      log.warn(`the ${instrumentation.name} instrumentation could not be enabled; that library runs untraced:`, error);
    }
  }
  const forgetEsmTargets = registerEsmPatches(esmTargets, new URL('./esm-loader-hook.mjs', import.meta.url));
  return () => {
    forgetEsmTargets();
    for (const instrumentation of enabled) {
      try {
        instrumentation.disable();
      } catch (error) {
        log.warn(`the ${instrumentation.name} instrumentation could not be disabled:`, error);
      }
    }
  };
}
