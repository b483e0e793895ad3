// `npm start`: the viewer, an embedded Postgres when DATABASE_URL is unset, the three services and a
// gentle traffic generator, each its own process. Ctrl-C stops the services first (each flushes its
// spans as it exits), then the database and the viewer, so the last request's spans are stored.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = process.env.ORDER_SERVICE_DATA ?? join(here, '.data');
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });

const traffic = !process.argv.includes('--no-traffic');
const port = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`${name}="${raw}" is not a port number; using ${fallback}`);
    return fallback;
  }
  return n;
};
const ports = {
  viewer: port('VIEWER_PORT', 16686),
  otlpHttp: port('OTLP_HTTP_PORT', 4318),
  otlpGrpc: port('OTLP_GRPC_PORT', 4317),
  orders: port('ORDERS_PORT', 3000),
  shipping: port('SHIPPING_PORT', 3001),
  postgres: port('PG_PORT', 55432),
};

const children = new Map(); // name -> ChildProcess
let stopping = false;

function portFree(p) {
  return new Promise((resolve) => {
    const server = net
      .createServer()
      .once('error', () => resolve(false))
      .once('listening', () => server.close(() => resolve(true)));
    server.listen(p, '127.0.0.1');
  });
}

function tail(name) {
  try {
    return readFileSync(join(logDir, `${name}.log`), 'utf8')
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    return '';
  }
}

/** Starts a process in its own process group (a terminal's Ctrl-C reaches only this script), logging to a file. */
function start(name, args, env = {}) {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'w' });
  const child = spawn(process.execPath, ['--import', join(here, 'parent-watch.mjs'), ...args], {
    cwd: here,
    env: { ...process.env, ...env },
    // stdin stays open for parent-watch.mjs: if this script dies, the pipe closes and the child stops.
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  children.set(name, child);
  child.once('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`\n${name} exited (${signal ?? `code ${code}`}); its last lines (${join(logDir, `${name}.log`)}):\n${tail(name)}`);
      void stop(1);
    }
  });
  return child;
}

function waitForOutput(child, pattern, what, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', () => reject(new Error(`${what} exited while starting`)));
  });
}

async function waitForHealth(url, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  clearInterval(trafficTimer);
  process.stdout.write('\nstopping: services first (they flush their spans), then the database and the viewer…\n');
  const byName = (n) => children.get(n);
  const services = ['orders', 'shipping', 'worker'].map(byName).filter(Boolean);
  for (const child of services) child.kill('SIGTERM');
  await Promise.all(services.map((c) => waitExit(c, 8000)));
  for (const name of ['postgres', 'viewer']) {
    const child = byName(name);
    if (!child) continue;
    child.kill(name === 'viewer' ? 'SIGINT' : 'SIGTERM');
    await waitExit(child, 5000);
  }
  process.stdout.write('stopped.\n');
  process.exit(code);
}

// A crash of this script must not leave the services running.
process.on('exit', () => {
  for (const child of children.values()) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

let trafficTimer;

async function main() {
  const wanted = [
    ['VIEWER_PORT', ports.viewer],
    ['OTLP_HTTP_PORT', ports.otlpHttp],
    ['OTLP_GRPC_PORT', ports.otlpGrpc],
    ['ORDERS_PORT', ports.orders],
    ['SHIPPING_PORT', ports.shipping],
    ...(process.env.DATABASE_URL ? [] : [['PG_PORT', ports.postgres]]),
  ];
  for (const [name, p] of wanted) {
    if (!(await portFree(p))) throw new Error(`port ${p} is in use (another viewer, collector or service?); set ${name} to another port`);
  }

  // As a user runs it: the `sightline` command of the installed package.
  const viewer = start('viewer', [
    join(root, 'packages/sightline/bin/sightline.mjs'),
    'view',
    '--data',
    process.env.VIEWER_DATA ?? join(dataDir, 'viewer'),
    '--port',
    String(ports.viewer),
    '--otlp-http-port',
    String(ports.otlpHttp),
    '--otlp-grpc-port',
    String(ports.otlpGrpc),
  ]);
  await waitForOutput(viewer, /Sightline viewer (\S+)/, 'the viewer');

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = start('postgres', [join(here, 'src/embedded-postgres.mjs')], { PG_PORT: String(ports.postgres) });
    databaseUrl = JSON.parse((await waitForOutput(pg, /(\{"ready":true[^\n]*\})/, 'the embedded Postgres'))[1]).url;
  }

  const common = {
    DATABASE_URL: databaseUrl,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlpHttp}`,
    // Health checks make no traces (one of the settings every service should have).
    OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS: '^/healthz$',
    // A demo wants spans in the viewer quickly; the default 5 s delay suits production better.
    OTEL_BSP_SCHEDULE_DELAY: '500',
    // And metrics every 10 s rather than every minute, so the Metrics page fills while you watch.
    OTEL_METRIC_EXPORT_INTERVAL: '10000',
    ORDERS_PORT: String(ports.orders),
    SHIPPING_PORT: String(ports.shipping),
    SHIPPING_URL: `http://127.0.0.1:${ports.shipping}`,
  };
  const service = (name) =>
    start(name, ['--import', 'sightline/register', join(here, `src/${name}.mjs`)], { ...common, OTEL_SERVICE_NAME: name });

  service('shipping');
  await waitForHealth(`http://127.0.0.1:${ports.shipping}/healthz`, 'shipping');
  service('orders');
  await waitForHealth(`http://127.0.0.1:${ports.orders}/healthz`, 'orders');
  const worker = service('worker');
  await waitForOutput(worker, /worker ready/, 'the worker');

  writeFileSync(join(dataDir, 'pids.json'), JSON.stringify(Object.fromEntries([...children].map(([n, c]) => [n, c.pid])), null, 2));
  const orders = `http://127.0.0.1:${ports.orders}`;
  console.log(`
Sightline demo is running.

  Traces:   http://127.0.0.1:${ports.viewer}
  Metrics:  http://127.0.0.1:${ports.viewer}/#/metrics?service=orders
  Database: ${process.env.DATABASE_URL ? 'DATABASE_URL' : `embedded Postgres (PGlite) on port ${ports.postgres}`}
  Queue:    ${process.env.REDIS_URL ? 'BullMQ on REDIS_URL' : 'pg-boss on Postgres (set REDIS_URL for BullMQ)'}
  Logs:     ${logDir}
  Traffic:  ${traffic ? 'an order every 2 s (npm start -- --no-traffic to stop it)' : 'off'}

Try:
  curl -i -X POST ${orders}/orders -H 'content-type: application/json' -d '{"item":"teapot","quantity":2}'
  curl -i -X POST ${orders}/orders -H 'content-type: application/json' -d '{"item":"decline-me","quantity":1}'

Ctrl-C stops everything.`);

  if (traffic) {
    const items = ['teapot', 'kettle', 'mug', 'saucer', 'decline-anvil', 'spoon'];
    let n = 0;
    trafficTimer = setInterval(async () => {
      n++;
      try {
        const item = items[n % items.length];
        const res = await fetch(`${orders}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ item, quantity: 1 + (n % 12) }),
        });
        const body = await res.json();
        if (body.id) await fetch(`${orders}/orders/${body.id}`).then((r) => r.arrayBuffer());
        if (n % 7 === 0) await fetch(`${orders}/orders/999999`).then((r) => r.arrayBuffer());
        await fetch(`${orders}/healthz`).then((r) => r.arrayBuffer());
      } catch {
        // a service restarting or stopping: the next tick tries again
      }
    }, 2000);
  }
}

main().catch((error) => {
  console.error(`npm start: ${error.message}`);
  void stop(1);
});
