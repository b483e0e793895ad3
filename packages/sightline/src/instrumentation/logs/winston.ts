// winston: every record written inside a span gets the span's trace id, span id and flags. The
// Logger class's write (which log(), info() and child loggers all call synchronously, in the caller's
// context) is wrapped, so loggers created before init() get the fields too.
import type { LogsConfig } from '../../config/config.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';

const PATCHED = Symbol.for('sightline.winstonPatched');
type Write = (this: unknown, info: unknown, ...rest: unknown[]) => boolean;

function patch(winston: unknown, keys: LogsConfig): void {
  const Logger = (winston as { Logger?: { prototype: Record<string | symbol, unknown> } })?.Logger;
  const proto = Logger?.prototype;
  const write = proto?.write as Write | undefined;
  if (proto === undefined || typeof write !== 'function' || proto[PATCHED]) return;
  proto[PATCHED] = true;
  proto.write = function (this: unknown, info: unknown, ...rest: unknown[]) {
    const fields = traceFields(keys);
    if (fields !== undefined && info !== null && typeof info === 'object') {
      const record = info as Record<string, unknown>;
      for (const key in fields) if (record[key] === undefined) record[key] = fields[key];
    }
    return write.call(this, info, ...rest);
  } as Write;
}

export class WinstonInstrumentation implements Instrumentation {
  readonly name = 'winston' as const;

  enable(ctx: InstrumentationContext): void {
    correlateOnLoad('winston', patch, ctx.config.logs);
  }

  disable(): void {}
}
