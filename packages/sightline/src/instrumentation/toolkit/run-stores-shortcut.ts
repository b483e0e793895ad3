// Node 26 runs Channel#runStores through a RunStoresScope and a DisposableStack (`using`), even on a
// channel with no store bound: ~330 ns a call on Node 26 against ~28 on Node 24 and ~39 on Node 22
// (a loop of runStores on one subscribed channel). Fastify calls it once per request as soon as anyone
// subscribes to its handler channel, which put ~0.8 µs per request on `hello` under Node 26 (V8's CPU
// profile: RunStoresScope, runStores, withStoreScope). On the channels Sightline subscribes to that
// libraries run through runStores, the channel object gets a runStores of its own that, while no store
// is bound, does what Node's does then (publish, then call) and otherwise hands over to Node's.
import dc from 'node:diagnostics_channel';

type RunStores = (data: unknown, fn: (...args: unknown[]) => unknown, thisArg?: unknown, ...args: unknown[]) => unknown;

interface NodeChannel {
  publish(data: unknown): void;
  runStores: RunStores;
  /** Node's own record of the stores bound to the channel: a SafeMap of store to transform (not an instanceof Map). */
  _stores?: { size: number };
}

function runStores(this: NodeChannel, data: unknown, fn: (...args: unknown[]) => unknown, thisArg: unknown, ...args: unknown[]): unknown {
  const stores = this._stores;
  if (stores !== undefined && stores.size === 0) {
    this.publish(data);
    return Reflect.apply(fn, thisArg, args);
  }
  // A store is bound (or the channel is inactive, and Node's runStores only calls fn): Node's own.
  return (Object.getPrototypeOf(this) as NodeChannel).runStores.call(this, data, fn, thisArg, ...args);
}

/**
 * Gives the channel `name` the runStores above when Node's goes through withStoreScope (Node 26 on)
 * and its stores are where this reads them; elsewhere it leaves the channel alone. Returns what undoes it.
 */
export function shortcutRunStores(name: string): () => void {
  const channel = dc.channel(name) as unknown as NodeChannel;
  const proto = Object.getPrototypeOf(channel) as { withStoreScope?: unknown };
  const applies =
    typeof proto.withStoreScope === 'function' &&
    (channel._stores === undefined || typeof channel._stores.size === 'number') &&
    !Object.hasOwn(channel, 'runStores');
  if (!applies) return () => {};
  Object.defineProperty(channel, 'runStores', { value: runStores, configurable: true, writable: true });
  return () => {
    if (channel.runStores === runStores) delete (channel as Partial<NodeChannel>).runStores;
  };
}
