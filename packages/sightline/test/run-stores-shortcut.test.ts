import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { shortcutRunStores } from '../src/instrumentation/toolkit/run-stores-shortcut.js';

// Whether this Node's runStores goes through withStoreScope (Node 26 on), where the shortcut applies.
const scoped = typeof (Object.getPrototypeOf(dc.channel('probe')) as { withStoreScope?: unknown }).withStoreScope === 'function';

describe("Node 26's runStores, shortcut while no store is bound", () => {
  it('publishes, then calls with the arguments and `this` given, and returns what the call returns', () => {
    const name = 'sightline-test:run-stores:plain';
    const seen: unknown[] = [];
    const subscriber = (message: unknown) => seen.push(['published', message]);
    dc.subscribe(name, subscriber);
    const undo = shortcutRunStores(name);
    try {
      const channel = dc.channel(name);
      assert.equal(Object.hasOwn(channel, 'runStores'), scoped, 'installed exactly where Node uses withStoreScope');
      const receiver = { tag: 'receiver' };
      const message = { n: 1 };
      const result = channel.runStores(
        message,
        function (this: unknown, a: number, b: number) {
          seen.push(['called', this, a, b]);
          return a + b;
        },
        receiver,
        2,
        3,
      );
      assert.equal(result, 5);
      assert.deepEqual(seen, [
        ['published', message],
        ['called', receiver, 2, 3],
      ]);
    } finally {
      undo();
      dc.unsubscribe(name, subscriber);
    }
    assert.equal(Object.hasOwn(dc.channel(name), 'runStores'), false, 'undone');
  });

  it("hands over to Node's runStores when a store is bound: the store is active inside the call", () => {
    const name = 'sightline-test:run-stores:bound';
    const subscriber = () => {};
    dc.subscribe(name, subscriber);
    const undo = shortcutRunStores(name);
    const storage = new AsyncLocalStorage<unknown>();
    const channel = dc.channel(name);
    channel.bindStore(storage, (message) => ({ from: message }));
    try {
      const message = { n: 2 };
      const inside = channel.runStores(message, () => storage.getStore());
      assert.deepEqual(inside, { from: message });
      assert.equal(storage.getStore(), undefined, 'left again after the call');
      // Unbound again, the shortcut serves and still publishes.
      channel.unbindStore(storage);
      const seen: unknown[] = [];
      const second = (m: unknown) => seen.push(m);
      dc.subscribe(name, second);
      assert.equal(
        channel.runStores({ n: 3 }, () => storage.getStore()),
        undefined,
      );
      assert.deepEqual(seen, [{ n: 3 }]);
      dc.unsubscribe(name, second);
    } finally {
      undo();
      dc.unsubscribe(name, subscriber);
    }
  });

  it('an error thrown by the call reaches the caller', () => {
    const name = 'sightline-test:run-stores:errors';
    const subscriber = () => {};
    dc.subscribe(name, subscriber);
    const undo = shortcutRunStores(name);
    try {
      assert.throws(
        () =>
          dc.channel(name).runStores({}, () => {
            throw new Error('call failed');
          }),
        /call failed/,
      );
    } finally {
      undo();
      dc.unsubscribe(name, subscriber);
    }
  });
});
