// A keep-alive connection's idle timeout is set outside any async context, not in the context of the
// request that finished last. Node sets it as each response finishes (`socket.setTimeout(keepAliveTimeout)`,
// inside that request's async context), the timer captures the context, and the socket keeps the timer
// until its next response sets another, even after the next request cleared it. So every open
// connection held its last request's context and span, about 1 KB at 100% sampling: the objects
// survived every scavenge (66 KB per scavenge at 64 connections, against 4 KB untraced), and V8 grew
// the main thread's young generation without end under load: 64 MB of new space after 150 s, +127 MB
// peak RSS over the untraced app. The idle timeout belongs to the connection, not to the request, so a
// 'timeout' it fires is not charged to the last request's trace either. An HTTP client's pooled socket
// (http.Agent with a timeout) is set idle the same way and is covered too.
//
// Only a timeout set with no callback on a socket with no HTTP message attached (Node detaches the
// response before setting it) is moved; one set with a callback, or while a request is on the socket,
// keeps the caller's context.
//
// It is set in the async context this module was loaded in (at startup: none), through an AsyncResource
// made then: that switches to the resource's frame and back (~260 instructions a response), where
// entering the root context would build a frame of its own per response, and each of those would be
// kept by its socket in turn (21 KB surviving each scavenge at 64 connections, against 9 KB this way and
// 4 KB untraced). The resource holds no store of any AsyncLocalStorage, the app's own included, which is
// right for a connection's timer too.
import { AsyncResource } from 'node:async_hooks';
import net from 'node:net';
import type { Patcher } from '../toolkit/patcher.js';

const outsideAnyContext = new AsyncResource('sightline.idleTimeout', { requireManualDestroy: true });

type SetTimeout = (this: net.Socket, msecs: number, callback?: () => void) => net.Socket;
type HttpSocket = net.Socket & { _httpMessage?: unknown };

export function setIdleTimeoutsOutsideAnyContext(patcher: Patcher): void {
  patcher.wrap<SetTimeout>(
    net.Socket.prototype,
    'setTimeout',
    (original) =>
      function setTimeout(this: HttpSocket, msecs: number, callback?: () => void): net.Socket {
        if (callback !== undefined || msecs === 0 || this._httpMessage !== null) return original.call(this, msecs, callback);
        return outsideAnyContext.runInAsyncScope(original, this, msecs);
      } as SetTimeout,
  );
}
