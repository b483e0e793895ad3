// In a `sightline run` worker, and in a PM2 cluster worker: SIGTERM (which the primary sends to
// retire a worker) and SIGINT (PM2's) drain the worker instead of ending it at once. Every server the
// app starts is recorded as it listens; on the signal each stops accepting (the cluster then sends new
// connections to the other workers), every response from then on says `Connection: close`, so
// keep-alive clients reconnect elsewhere, idle connections are closed once no request is under way on
// them, and when the last connection is gone (or the graceful timeout passes) telemetry is flushed and
// the worker ends by the signal.
//
// When the app handles the signal itself, it decides when to exit: its cleanup (closing a pool,
// finishing a job) must not be cut short. Then the drain only says `Connection: close` and closes
// idle connections of the servers the app has closed, which is what keeps a plain server.close()
// from waiting on keep-alive clients; the exit hook flushes what is left when the app exits.
import dc from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { log } from '../diag/logger.js';
import { Patcher } from '../instrumentation/toolkit/patcher.js';
import type { WorkerToPrimary } from './run-protocol.js';
import type { Sightline } from './sightline.js';

export interface RunWorkerSettings {
  index: number;
  gracefulTimeoutMillis: number;
  /** Whether the parent is `sightline run`'s primary, which reads the drain messages (PM2's daemon does not). */
  reportsToPrimary: boolean;
}

/** How often the drain looks again. */
const POLL_MILLIS = 50;
/**
 * A keep-alive connection is closed by the drain only once it has carried no request for this long.
 * Closing one that is idle for a moment races the client's next request on it (the request is lost);
 * a client still sending gets `Connection: close` on its next answer instead, and goes elsewhere.
 */
const IDLE_CLOSE_MILLIS = 1000;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

/** `sdk` is undefined when OTEL_SDK_DISABLED is set: the worker still drains. */
export function installRunWorker(sdk: Sightline | undefined, settings: RunWorkerSettings): void {
  const servers = new Set<net.Server>();
  /** Every open connection, with when it last started or finished a request, and the server it came to. */
  const sockets = new Map<net.Socket, { lastActive: number; server: net.Server }>();
  const inFlight = new Set<ServerResponse>();
  let draining: Promise<void> | undefined;

  const patcher = new Patcher();
  patcher.wrap<Listen>(
    net.Server.prototype,
    'listen',
    (listen) =>
      function (this: net.Server, ...args: unknown[]) {
        if (!servers.has(this)) {
          servers.add(this);
          const server = this;
          this.on('connection', (socket: net.Socket) => {
            sockets.set(socket, { lastActive: Date.now(), server });
            socket.once('close', () => sockets.delete(socket));
          });
        }
        return listen.apply(this, args);
      },
  );

  const touch = (socket: net.Socket): void => {
    const entry = sockets.get(socket);
    if (entry !== undefined) entry.lastActive = Date.now();
  };
  dc.subscribe('http.server.request.start', (message) => {
    const { response, socket } = message as { response: ServerResponse; socket: net.Socket };
    inFlight.add(response);
    touch(socket);
    response.once('close', () => {
      inFlight.delete(response);
      touch(socket);
    });
    if (draining !== undefined && !response.headersSent) response.setHeader('connection', 'close');
  });

  const send = (message: WorkerToPrimary): void => {
    if (!settings.reportsToPrimary) return;
    try {
      process.send?.(message);
    } catch {
      // The primary is gone: the drain goes on regardless.
    }
  };

  /** `closeServers`: stop accepting here; false when the app closes its servers itself. */
  const drain = (closeServers: boolean): Promise<void> =>
    (draining ??= (async () => {
      const deadline = Date.now() + settings.gracefulTimeoutMillis;
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
      // net's close, not http's: it stops accepting without cutting idle keep-alive connections at once,
      // which would race a client's next request on them.
      if (closeServers) for (const server of servers) if (server.listening) net.Server.prototype.close.call(server);
      send({ sightline: 'draining', inFlight: inFlight.size });
      while (Date.now() < deadline && (inFlight.size > 0 || sockets.size > 0)) {
        const now = Date.now();
        for (const [socket, { lastActive, server }] of sockets) {
          if (!server.listening && now - lastActive >= IDLE_CLOSE_MILLIS && !isHttpBusy(socket, inFlight)) socket.end();
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MILLIS).unref());
      }
      const unfinished = inFlight.size;
      if (unfinished > 0) {
        log.warn(`worker ${settings.index}: ${unfinished} requests still running at the graceful timeout; stopping anyway`);
      }
      send({ sightline: 'drained', unfinished });
    })());

  // SIGHUP means "replace the workers" to `sightline run`'s primary, which does it one worker at a
  // time; the same signal sent to the whole process group (a closed terminal, `timeout`) must not
  // kill every worker at once.
  if (settings.reportsToPrimary) process.on('SIGHUP', () => {});

  for (const signal of SIGNALS) {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) {
        // The app handles this signal and exits when its cleanup is done.
        void drain(false);
        void sdk?.forceFlush();
        return;
      }
      void drain(true)
        .then(() => sdk?.shutdown(sdk.exitBudget()))
        .finally(() => {
          patcher.restore();
          // End the way Node's default would have: by the signal (exit status 128 + signal).
          process.removeListener(signal, handler);
          process.kill(process.pid, signal);
        });
    };
    process.on(signal, handler);
  }
}

function isHttpBusy(socket: net.Socket, inFlight: Set<ServerResponse>): boolean {
  for (const response of inFlight) if (response.socket === socket) return true;
  return false;
}
