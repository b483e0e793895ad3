// pino: every record written inside a span gets the span's trace id, span id and flags. The shared
// logger prototype's write method is wrapped (found through a throwaway logger), so loggers created
// before init() get the fields too; with no active span the record is passed on untouched.
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';

type Write = (this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: number) => unknown;

function patch(patcher: Patcher, pino: unknown, keys: LogCorrelationSettings): void {
  const p = pino as ((opts: object, stream: object) => object) & { symbols?: { writeSym?: symbol; errorKeySym?: symbol } };
  const writeSym = p?.symbols?.writeSym;
  if (typeof p !== 'function' || writeSym === undefined) return;
  const probe = p({}, { write() {} });
  // instance -> per-logger object -> the module's shared prototype
  const shared = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Record<symbol, unknown>;
  const errorKeySym = p.symbols?.errorKeySym;
  patcher.wrap<Write>(
    shared,
    writeSym,
    (write) =>
      function (this: Record<symbol, unknown>, obj: unknown, msg: unknown, num: number) {
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
      },
  );
}

export class PinoInstrumentation extends PatchingInstrumentation {
  readonly name = 'pino' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('pino', (exports, keys) => patch(this.patcher, exports, keys), ctx.settings.logs));
  }
}
