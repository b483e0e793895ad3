// The context manager's with() and bind(): what the API promises callers (the `this` and arguments
// passed through, the result returned, the context restored after), whichever way it is called.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '../src/context/async-local-storage-context-manager.js';

const KEY = createContextKey('test key');
const inner = ROOT_CONTEXT.setValue(KEY, 'inner');
const outer = ROOT_CONTEXT.setValue(KEY, 'outer');

describe('AsyncLocalStorageContextManager', () => {
  it('with() calls the function in the context, with its `this` and arguments, and restores the context after', () => {
    const manager = new AsyncLocalStorageContextManager();
    const self = { name: 'self' };
    manager.with(outer, () => {
      const seen = manager.with(
        inner,
        function (this: unknown, a: number, b: string) {
          return { self: this, args: [a, b], value: manager.active().getValue(KEY) };
        },
        self,
        1,
        'two',
      );
      assert.deepEqual(seen, { self, args: [1, 'two'], value: 'inner' });
      assert.equal(manager.active().getValue(KEY), 'outer');
      assert.deepEqual(
        manager.with(inner, (...args: unknown[]) => args),
        [],
      );
    });
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  it('with() restores the context when the function throws', () => {
    const manager = new AsyncLocalStorageContextManager();
    manager.with(outer, () => {
      assert.throws(
        () =>
          manager.with(
            inner,
            function (this: unknown) {
              throw new Error(`thrown with ${String((this as { name: string }).name)}`);
            },
            { name: 'self' },
          ),
        /thrown with self/,
      );
      assert.equal(manager.active().getValue(KEY), 'outer');
    });
  });

  it('a bound function runs in its context with the caller’s `this` and every argument, and keeps its length', () => {
    const manager = new AsyncLocalStorageContextManager();
    const target = function (this: unknown, a: unknown, b: unknown, c: unknown) {
      return { self: this, args: [a, b, c], value: manager.active().getValue(KEY) };
    };
    const bound = manager.bind(inner, target);
    assert.equal(bound.length, 3);
    const self = { name: 'caller' };
    manager.with(outer, () => {
      assert.deepEqual(bound.call(self, 1, 2, 3), { self, args: [1, 2, 3], value: 'inner' });
      assert.equal(manager.active().getValue(KEY), 'outer');
    });
  });

  it('listeners added to a bound emitter run in its context, and remove by the function the app added', () => {
    const manager = new AsyncLocalStorageContextManager();
    const emitter = manager.bind(inner, new EventEmitter());
    const seen: unknown[] = [];
    const listener = function (this: unknown, value: unknown) {
      seen.push([this === emitter, value, manager.active().getValue(KEY)]);
    };
    emitter.on('event', listener);
    manager.with(outer, () => emitter.emit('event', 'first'));
    emitter.off('event', listener);
    emitter.emit('event', 'second');
    assert.deepEqual(seen, [[true, 'first', 'inner']]);
  });
});
