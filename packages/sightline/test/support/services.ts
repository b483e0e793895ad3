// Real services for tests: a missing server skips the test, or fails it under SIGHTLINE_REQUIRE_SERVICES=1.
import net from 'node:net';
import type { TestContext } from 'node:test';

export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function requireService(t: TestContext, name: string, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const up = await new Promise<boolean>((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
  if (up) return true;
  if (process.env.SIGHTLINE_REQUIRE_SERVICES === '1')
    throw new Error(`${name} is not reachable at ${url} and SIGHTLINE_REQUIRE_SERVICES=1`);
  t.skip(`${name} is not reachable at ${url}`);
  return false;
}
