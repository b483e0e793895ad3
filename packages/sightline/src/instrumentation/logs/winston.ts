// winston: every record written inside a span gets the span's trace id, span id and flags. The
// Logger class's write (which log(), info() and child loggers all call synchronously, in the caller's
// context) is wrapped, so loggers created before init() get the fields too.
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';

type Write = (this: unknown, info: unknown, ...rest: unknown[]) => boolean;

function patch(patcher: Patcher, winston: unknown, keys: LogCorrelationSettings): void {
  const Logger = (winston as { Logger?: { prototype: object } })?.Logger;
  patcher.wrap<Write>(
    Logger?.prototype,
    'write',
    (write) =>
      function (this: unknown, info: unknown, ...rest: unknown[]) {
        const fields = traceFields(keys);
        if (fields !== undefined && info !== null && typeof info === 'object') {
          const record = info as Record<string, unknown>;
          for (const key in fields) if (record[key] === undefined) record[key] = fields[key];
        }
        return write.call(this, info, ...rest);
      },
  );
}

export class WinstonInstrumentation extends PatchingInstrumentation {
  readonly name = 'winston' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('winston', (exports, keys) => patch(this.patcher, exports, keys), ctx.settings.logs));
  }
}
