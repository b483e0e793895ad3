// `--health-port`: GET /healthz answers 200 while at least one worker is ready, 503 otherwise, with
// every worker's state as JSON. It lives in the primary, which runs no Sightline: never traced.
import type { Server } from 'node:http';
import { http } from '../../builtins/http.js';
import type { Supervisor } from './supervisor.js';

export function startHealthServer(supervisor: Supervisor, port: number, onListening: (port: number) => void): Server {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/healthz' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `nothing at ${request.method} ${path}; GET /healthz` }));
      return;
    }
    const ready = supervisor.ready() && !supervisor.isStopping;
    response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(
      request.method === 'HEAD'
        ? undefined
        : JSON.stringify({ status: ready ? 'ready' : supervisor.isStopping ? 'stopping' : 'starting', workers: supervisor.workers() }),
    );
  });
  server.listen(port, () => onListening(port));
  return server;
}
