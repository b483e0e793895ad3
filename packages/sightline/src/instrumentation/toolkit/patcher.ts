// Light patching done so it can be undone: every method an instrumentation replaces is recorded, and
// disable() puts each original back. A wrapper carries its original under a shared symbol, so a
// method is never wrapped twice (two copies of Sightline, or an ES-module and a CommonJS load). The
// wrapper is installed as it is, with no layer of its own, so patching adds nothing to a call.

/** The original of a Sightline wrapper; shared across copies of Sightline through the global symbol registry. */
export const ORIGINAL = Symbol.for('sightline.original');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (this: any, ...args: any[]) => any;
type Wrapped<F extends AnyFunction> = F & { [ORIGINAL]?: F };

/** Whether `fn` is a Sightline wrapper. */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Wrapped<AnyFunction>)[ORIGINAL] !== undefined;
}

export class Patcher {
  private readonly undo: Array<() => void> = [];

  /**
   * Replaces `target[method]` with `make(original)`. Does nothing (and returns false) when there is
   * no such function or it is already a Sightline wrapper.
   */
  wrap<F extends AnyFunction>(target: object | null | undefined, method: PropertyKey, make: (original: F) => F): boolean {
    if (target === null || target === undefined) return false;
    const holder = target as Record<PropertyKey, unknown>;
    const original = holder[method] as Wrapped<F> | undefined;
    if (typeof original !== 'function' || original[ORIGINAL] !== undefined) return false;
    const wrapper = make(original) as Wrapped<F>;
    wrapper[ORIGINAL] = original;
    // An inherited method (ServerResponse's _storeHeader is OutgoingMessage's) is wrapped on `target`
    // and, when restored, deleted from it again, so that nothing of Sightline's stays on the prototype.
    const own = Object.prototype.hasOwnProperty.call(holder, method);
    holder[method] = wrapper;
    // Another library may have wrapped it again since: its wrapper then stays, and so does ours under it.
    this.undo.push(() => {
      if (holder[method] !== wrapper) return;
      if (own) holder[method] = original;
      else delete holder[method];
    });
    return true;
  }

  /** Puts every original back, newest first. */
  restore(): void {
    for (const undo of this.undo.splice(0).reverse()) undo();
  }
}
