// Starts a fixture app in its own process and talks to it, as a user's service would run.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Runs a fixture to its exit, with only PATH and `env` in its environment, and returns what it printed. */
export async function runToExit(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, {
    cwd: FIXTURES,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/**
 * A loopback port free a moment ago, for an app that must be told its port before it starts (a cluster's
 * workers share it). Chosen below Linux's ephemeral range (32768 and up by default), which outgoing
 * connections draw their source ports from: a port the kernel handed out for listening could be taken
 * by a scrape or a database connection before the app bound it (CI once lost `sightline run`'s port so).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
  return listenedPort(0);
}

function canListen(port: number): Promise<boolean> {
  return listenedPort(port).then(
    () => true,
    () => false,
  );
}

async function listenedPort(port: number): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const listened = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return listened;
}

export interface ChildApp {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node <preload flag> sightline/register <fixture>` and waits for it to print {"port": N}. */
export async function startApp(
  fixture: string,
  env: Record<string, string>,
  preload: '--import' | '--require' = fixture.endsWith('.cjs') ? '--require' : '--import',
): Promise<ChildApp> {
  const child = spawn(process.execPath, [preload, 'sightline/register', FIXTURES + fixture], {
    cwd: FIXTURES,
    // The core tests count manual spans, so automatic HTTP spans are off unless a test turns them on.
    env: { PATH: process.env.PATH ?? '', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,undici', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${fixture} did not start: ${err}`)), 15000);
    const check = (): void => {
      const match = /\{"port":(\d+)\}/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`${fixture} exited before listening: ${err}`)));
  });
  return { child, port, stderr: () => err, stdout: () => out, exited };
}

/** Sends `count` GET requests, `concurrency` at a time, and returns each request's latency in ms. */
export async function hit(port: number, path: string, count: number, concurrency = 16): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}
