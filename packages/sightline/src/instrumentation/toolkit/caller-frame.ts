// A callback that a library calls from somewhere else (pg calls a query's callback from its
// connection's socket, pg-pool a connect callback from whichever request freed a client) runs again in
// the async context of the code that passed it.
//
// context.with() did this with AsyncLocalStorage.run(), which on Node 24 and later (and 22 with
// --experimental-async-context-frame) makes two async context frames per call, each a copy of a Map:
// one to enter the context, one to leave it (~120 ns in a loop, two allocations that the collector
// then copies for a request that is still waiting). An AsyncResource keeps the caller's frame as it
// was and enters it again (~40 ns with its creation, no copy), and it restores the whole frame: the
// caller's own AsyncLocalStorage stores and the profiler's labels too, where with() set only
// Sightline's context on the socket's frame. On Node 22 without async context frames it is how
// AsyncLocalStorage follows callbacks anyway (its init hook copies the caller's store).
import { AsyncResource } from 'node:async_hooks';

/** The caller's async context, to call a callback in later: `frame.runInAsyncScope(fn, thisArg, ...args)`. */
export function callerFrame(type: string): AsyncResource {
  return new AsyncResource(type);
}
