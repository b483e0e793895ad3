// The base of every instrumentation that patches a library: what enable() patched (through
// `patcher`) and the load hooks it registered (through `onLoad`), disable() undoes.
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { onModuleLoad } from '../module-hook.js';
import type { InstrumentationName } from '../settings.js';
import { Patcher } from './patcher.js';

export abstract class PatchingInstrumentation implements Instrumentation {
  abstract readonly name: InstrumentationName;
  protected readonly patcher = new Patcher();
  private readonly stops: Array<() => void> = [];

  abstract enable(ctx: InstrumentationContext): void;

  /** Calls `handler` with the package's exports when it first loads; disable() stops waiting for it. */
  protected onLoad(packageName: string, handler: (exports: unknown) => void): void {
    this.stops.push(onModuleLoad(packageName, handler));
  }

  /** Keeps a disposer (a load hook of another kind) for disable(). */
  protected onDisable(stop: () => void): void {
    this.stops.push(stop);
  }

  disable(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.patcher.restore();
  }
}
