// Context propagation across awaits and callbacks with AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

const BOUND_LISTENERS = Symbol('sightline.boundListeners');
const PATCHED_METHODS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'] as const;

type Listener = (...args: unknown[]) => unknown;
/**
 * Runs inside `context` as it is entered; `previous` was active where it was entered (undefined: none
 * was). Returns whether it changed what the async frame carries for it, which with() then restores.
 */
export type EnterHook = (context: Context, previous: Context | undefined) => boolean;
type PatchedEmitter = EventEmitter & { [BOUND_LISTENERS]?: WeakMap<Listener, Listener> };

export class AsyncLocalStorageContextManager implements ContextManager {
  private storage = new AsyncLocalStorage<Context>();
  /** What is active outside any with(): the root, or the context a parent process passed in its environment. */
  private base: Context = ROOT_CONTEXT;
  /**
   * Told of each context as it becomes active, from inside it (the profiler labels samples with its
   * span), and of the context that was active where it was entered, whose async frame the new one copies.
   */
  private onEnter: EnterHook | undefined;

  active(): Context {
    return this.storage.getStore() ?? this.base;
  }

  /** The context of everything this process does outside a span of its own (an inherited TRACEPARENT). */
  setBaseContext(context: Context): void {
    this.base = context;
  }

  /** Set while profiling: `hook` runs inside every context entered, before the code that runs in it. */
  setEnterHook(hook: EnterHook | undefined): void {
    this.onEnter = hook;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const onEnter = this.onEnter;
    if (onEnter === undefined) {
      // A `this` goes through Reflect.apply rather than a bound copy of `fn` made per call.
      if (thisArg === undefined) return this.storage.run(context, fn as (...a: A) => ReturnType<F>, ...args);
      return this.storage.run(context, Reflect.apply, fn, thisArg, args) as ReturnType<F>;
    }
    const call = thisArg === undefined ? fn : fn.bind(thisArg);
    const previous = this.storage.getStore();
    let changed = false;
    try {
      return this.storage.run(context, () => {
        changed = onEnter(context, previous);
        return (call as (...a: A) => ReturnType<F>)(...args);
      });
    } finally {
      // With AsyncContextFrame, run() restores its own store by entering a copy of the frame it leaves,
      // which keeps whatever else was set there: the hook's labels would outlive the context they name,
      // and the rest of the caller's code would be charged to the span it had just left.
      if (changed) onEnter(previous ?? this.base, context);
    }
  }

  /** Sets the active context for the rest of the current synchronous execution and what it schedules.
   * Instrumentations of channel-based hooks use it where there is no callback to wrap. */
  enterWith(context: Context): void {
    const onEnter = this.onEnter;
    if (onEnter === undefined) {
      this.storage.enterWith(context);
      return;
    }
    const previous = this.storage.getStore();
    this.storage.enterWith(context);
    onEnter(context, previous);
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target === 'function') return this.bindFunction(context, target as unknown as Listener) as T;
    if (target instanceof EventEmitter) return this.bindEmitter(context, target as PatchedEmitter) as T;
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    this.storage = new AsyncLocalStorage<Context>();
    return this;
  }

  private bindFunction(context: Context, target: Listener): Listener {
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]) {
      return manager.with(context, Reflect.apply, undefined, target, this, args) as unknown;
    };
    Object.defineProperty(bound, 'length', { value: target.length, configurable: true });
    return bound;
  }

  /** Listeners added to a bound emitter run in the context it was bound to, as in the OpenTelemetry SDK. */
  private bindEmitter(context: Context, emitter: PatchedEmitter): PatchedEmitter {
    const manager = this;
    if (emitter[BOUND_LISTENERS] !== undefined) return emitter;
    const map = new WeakMap<Listener, Listener>();
    emitter[BOUND_LISTENERS] = map;
    for (const method of PATCHED_METHODS) {
      const original = emitter[method] as (event: string | symbol, listener: Listener) => EventEmitter;
      emitter[method] = function (this: EventEmitter, event: string | symbol, listener: Listener) {
        let bound = map.get(listener);
        if (bound === undefined) {
          bound = contextBinder(context, listener);
          map.set(listener, bound);
        }
        return original.call(this, event, bound);
      } as never;
    }
    const removeListener = emitter.removeListener;
    emitter.removeListener = emitter.off = function (this: EventEmitter, event: string | symbol, listener: Listener) {
      return removeListener.call(this, event, map.get(listener) ?? listener);
    } as never;
    return emitter;

    function contextBinder(ctx: Context, listener: Listener): Listener {
      return function (this: unknown, ...args: unknown[]) {
        return manager.with(ctx, () => listener.apply(this, args));
      };
    }
  }
}
