// A real Prometheus server (Debian's `prometheus` package) scraping test apps every second, with
// exemplar storage on, queried through its HTTP API. Missing binary: the test is skipped, or fails
// under SIGHTLINE_REQUIRE_SERVICES=1 (which .ci/run sets after installing the package).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './child-app.js';

export interface Prometheus {
  url: string;
  /** The first sample's value of an instant query, or undefined when it returns nothing. */
  query(promql: string): Promise<number | undefined>;
  /** Resolves when the query's value satisfies `accept`; fails with the last value after the timeout. */
  waitFor(promql: string, accept: (value: number | undefined) => boolean, timeoutMillis?: number): Promise<number | undefined>;
  exemplars(promql: string): Promise<Array<{ labels: Record<string, string>; value: string }>>;
  close(): Promise<void>;
}

export function hasBinary(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

export function requireBinary(t: TestContext, name: string): boolean {
  if (hasBinary(name)) return true;
  if (process.env.SIGHTLINE_REQUIRE_SERVICES === '1')
    throw new Error(`${name} is not installed and SIGHTLINE_REQUIRE_SERVICES=1 (apt-get install prometheus)`);
  t.skip(`${name} is not installed (apt-get install prometheus)`);
  return false;
}

export async function startPrometheus(targets: Record<string, string>): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-prometheus-'));
  const jobs = Object.entries(targets)
    .map(([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']`)
    .join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prometheus did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (path: string, promql: string): Promise<any> => {
    const response = await fetch(`${url}${path}?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data;
  };
  const query = async (promql: string): Promise<number | undefined> => {
    const data = await api('/api/v1/query', promql);
    const first = data.result[0];
    return first === undefined ? undefined : Number(first.value[1]);
  };
  return {
    url,
    query,
    async waitFor(promql, accept, timeoutMillis = 30_000) {
      const until = Date.now() + timeoutMillis;
      let value: number | undefined;
      for (;;) {
        value = await query(promql);
        if (accept(value)) return value;
        if (Date.now() > until) throw new Error(`${promql} = ${value} after ${timeoutMillis} ms; prometheus log:\n${log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async exemplars(promql) {
      const data = (await api('/api/v1/query_exemplars', promql)) as Array<{
        exemplars: Array<{ labels: Record<string, string>; value: string }>;
      }>;
      return data.flatMap((series) => series.exemplars);
    },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
