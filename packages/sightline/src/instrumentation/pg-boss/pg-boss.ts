// pg-boss (12.x) instruments itself through @opentelemetry/api, so its PRODUCER `send {queue}` and
// CONSUMER `process {queue}` spans (messaging conventions, retry count, errors), and its messaging
// duration and count metrics, record into Sightline
// with no patch of their own; Sightline adds the consumer's link to its producer. What it leaves off by default is storing the producer's context on the job
// (`openTelemetry.propagateContext`), without which every job starts a trace of its own. Sightline
// supplies that context: it wraps pg-boss's Telemetry#send so the job gets the carrier of the
// PRODUCER span, stored in pg-boss's own column (never in the job data) and continued by its worker.
// pg-boss is ES-module only, so the class is reached through the ES-module hook.
import { context, propagation, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';
import type { MessagingSettings } from '../settings.js';
import { log } from '../../diag/logger.js';
import type { EsmTarget } from '../esm-patch.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';

type CarrierOf = (job: unknown) => unknown;
type Process = (this: unknown, destination: string, jobs: unknown[], carrierOf: CarrierOf, fn: () => unknown) => Promise<unknown>;
type Send = (
  this: unknown,
  operation: string,
  destination: string,
  attempted: unknown,
  fn: (carrier: unknown) => unknown,
  idsOf?: unknown,
) => Promise<unknown>;

function carrierOf(ctx: Context): Record<string, string> | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? carrier : null;
}

function producerOf(carrier: unknown): SpanContext | undefined {
  if (carrier === null || typeof carrier !== 'object') return undefined;
  return trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>));
}

export function patchTelemetry(patcher: Patcher, Telemetry: unknown, config: MessagingSettings): void {
  const proto = (Telemetry as { prototype?: object } | undefined)?.prototype;
  // pg-boss makes a one-job CONSUMER span a child of the producer without a link; Sightline adds the
  // link (as for BullMQ), and in `link` mode keeps the carrier from pg-boss so the job starts a trace.
  patcher.wrap<Process>(
    proto,
    'process',
    (process) =>
      function (this: unknown, destination, jobs, carrierOf, fn) {
        if (!Array.isArray(jobs) || jobs.length !== 1 || typeof carrierOf !== 'function' || typeof fn !== 'function') {
          return process.call(this, destination, jobs, carrierOf, fn);
        }
        let producer: SpanContext | undefined;
        try {
          producer = producerOf(carrierOf(jobs[0]));
        } catch {
          producer = undefined;
        }
        if (producer === undefined) return process.call(this, destination, jobs, carrierOf, fn);
        const link = { context: producer };
        const withLink = () => {
          trace.getActiveSpan()?.addLink(link);
          return fn();
        };
        return process.call(this, destination, jobs, config.consumerTrace === 'link' ? () => null : carrierOf, withLink);
      },
  );
  patcher.wrap<Send>(
    proto,
    'send',
    (send) =>
      function (this: unknown, operation, destination, attempted, fn, idsOf) {
        // pg-boss calls fn inside its PRODUCER span's context; a carrier it made itself (propagateContext) wins.
        const withContext = (carrier: unknown) => {
          if (carrier) return fn(carrier);
          let ours: Record<string, string> | null = null;
          try {
            ours = carrierOf(context.active());
          } catch (error) {
            log.warnOnce('pg-boss-carrier', `could not attach trace context to a pg-boss job: ${(error as Error).message}`);
          }
          return fn(ours);
        };
        return send.call(this, operation, destination, attempted, withContext, idsOf);
      },
  );
}

export class PgBossInstrumentation extends PatchingInstrumentation {
  readonly name = 'pg-boss' as const;
  private config: MessagingSettings = { consumerTrace: 'child' };

  // Nothing to patch at enable: the ES-module hook hands the class over as pg-boss loads (also when a
  // CommonJS app on Node 22+ require()s it).
  enable(ctx: InstrumentationContext): void {
    this.config = ctx.settings.messaging;
  }

  esmTargets(): EsmTarget[] {
    return [
      {
        packageName: 'pg-boss',
        suffix: '/node_modules/pg-boss/dist/telemetry.js',
        exportName: 'Telemetry',
        onExport: (Telemetry) => patchTelemetry(this.patcher, Telemetry, this.config),
      },
    ];
  }
}
