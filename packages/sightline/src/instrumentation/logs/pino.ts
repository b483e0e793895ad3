// pino: every record written inside a span gets the span's trace id, span id and flags. The shared
// logger prototype's write method is wrapped (found through a throwaway logger), so loggers created
// before init() get the fields too; with no active span the record is passed on untouched.
import type { LogsConfig } from '../../config/config.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';

const PATCHED = Symbol.for('sightline.pinoPatched');
type Write = (this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: number) => unknown;

function patch(pino: unknown, keys: LogsConfig): void {
  const p = pino as ((opts: object, stream: object) => object) & { symbols?: { writeSym?: symbol; errorKeySym?: symbol } };
  const writeSym = p?.symbols?.writeSym;
  if (typeof p !== 'function' || writeSym === undefined) return;
  const probe = p({}, { write() {} });
  // instance -> per-logger object -> the module's shared prototype
  const shared = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Record<symbol, unknown>;
  const write = shared?.[writeSym] as Write | undefined;
  if (typeof write !== 'function' || shared[PATCHED]) return;
  shared[PATCHED] = true;
  const errorKeySym = p.symbols?.errorKeySym;
  shared[writeSym] = function (this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: number) {
    const fields = traceFields(keys);
    if (fields === undefined) return write.call(this, obj, msg, num);
    if (obj === undefined || obj === null) return write.call(this, fields, msg, num);
    if (obj instanceof Error) {
      // As pino does for an Error: it goes under the error key, and its message is the default message.
      const errorKey = (errorKeySym && (this[errorKeySym] as string)) || 'err';
      return write.call(this, { ...fields, [errorKey]: obj }, msg === undefined ? obj.message : msg, num);
    }
    if (typeof obj === 'object') return write.call(this, { ...fields, ...(obj as object) }, msg, num);
    return write.call(this, obj, msg, num);
  } as Write;
}

export class PinoInstrumentation implements Instrumentation {
  readonly name = 'pino' as const;

  enable(ctx: InstrumentationContext): void {
    correlateOnLoad('pino', patch, ctx.config.logs);
  }

  disable(): void {}
}
