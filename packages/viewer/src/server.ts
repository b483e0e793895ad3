// Starts the viewer: the OTLP receivers, the store and the UI/API server, wired together.

import { once } from 'node:events';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApiServer } from './api/http-api.js';
import { newCounters, type Counters } from './receiver/ingest.js';
import { createOtlpGrpcServer } from './receiver/otlp-grpc.js';
import { createOtlpHttpServer } from './receiver/otlp-http.js';
import { LOOPBACK_NAMES } from './host-check.js';
import { TraceStore } from './store/store.js';

declare const VIEWER_VERSION: string;

export interface ViewerOptions {
  host?: string;
  /** UI and API port (16686, as Jaeger's UI); 0 picks a free one. */
  port?: number;
  otlpHttpPort?: number;
  otlpGrpcPort?: number;
  /** SQLite file; undefined keeps everything in memory. */
  dataFile?: string | undefined;
  maxBytes?: number;
  maxAgeMs?: number;
  maxBodyBytes?: number;
  /** Directory of the built UI files. */
  uiDir?: string;
}

export interface Viewer {
  store: TraceStore;
  counters: Counters;
  uiUrl: string;
  otlpHttpUrl: string;
  otlpGrpcAddress: string;
  close(): Promise<void>;
}

export class PortInUseError extends Error {}

async function listen(server: Server, port: number, host: string, what: string, flag: string): Promise<number> {
  server.listen(port, host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(`${what} port ${port} on ${host} is in use (another viewer or collector?); choose another with ${flag}`);
    }
    throw error;
  }
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const host = options.host ?? '127.0.0.1';
  const store = new TraceStore({
    path: options.dataFile,
    maxBytes: options.maxBytes ?? 512 * 1024 * 1024,
    maxAgeMs: options.maxAgeMs ?? 0,
  });
  const counters = newCounters();
  const listeners = new Set<(ids: string[]) => void>();
  const onTraces = (ids: string[]) => listeners.forEach((l) => l(ids));
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const boundToLoopback = LOOPBACK_NAMES.has(host.toLowerCase());
  // Bound to loopback, only local senders can reach the OTLP ports, and they name it by a loopback
  // name; anything else is a web page's rebound name. Bound elsewhere, senders use whatever name they know.
  const hooks = { store, counters, maxBodyBytes, onTraces, allowedHosts: boundToLoopback ? LOOPBACK_NAMES : undefined };

  const allowedHosts = new Set(LOOPBACK_NAMES);
  if (!boundToLoopback) allowedHosts.add(host.toLowerCase());
  const api = createApiServer({
    ...hooks,
    allowedHosts,
    uiDir: options.uiDir ?? fileURLToPath(new URL('./ui', import.meta.url)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    version: typeof VIEWER_VERSION === 'string' ? VIEWER_VERSION : 'dev',
  });
  const otlpHttp = createOtlpHttpServer(hooks);
  const otlpGrpc = createOtlpGrpcServer(hooks);
  const servers: Server[] = [];
  const close = async () => {
    clearInterval(ageTimer);
    for (const server of servers) {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    store.close();
  };
  const ageTimer = setInterval(() => {
    if (options.maxAgeMs) store.evictOlderThan(Date.now() - options.maxAgeMs);
  }, 60_000).unref();
  try {
    const uiPort = await listen(api, options.port ?? 16686, host, 'UI', '--port');
    servers.push(api);
    const httpPort = await listen(otlpHttp, options.otlpHttpPort ?? 4318, host, 'OTLP/HTTP', '--otlp-http-port');
    servers.push(otlpHttp);
    const grpcPort = await listen(otlpGrpc as unknown as Server, options.otlpGrpcPort ?? 4317, host, 'OTLP/gRPC', '--otlp-grpc-port');
    servers.push(otlpGrpc as unknown as Server);
    return {
      store,
      counters,
      uiUrl: `http://${urlHost(host)}:${uiPort}`,
      otlpHttpUrl: `http://${urlHost(host)}:${httpPort}`,
      otlpGrpcAddress: `${urlHost(host)}:${grpcPort}`,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
