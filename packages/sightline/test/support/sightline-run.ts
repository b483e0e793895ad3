// Runs `sightline run` as a user would (the package's bin), collecting its log, for the tests of
// the process model and of the metrics its primary serves.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './child-app.js';

export const BIN = fileURLToPath(new URL('../../bin/sightline.mjs', import.meta.url));

export interface Run {
  child: ChildProcess;
  log: () => string;
  /** Resolves when the log has matched `pattern` `count` times in all. */
  until(pattern: RegExp, count?: number, timeoutMillis?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function startRun(args: string[], env: Record<string, string>, cwd = FIXTURES): Run {
  const child = spawn(process.execPath, [BIN, 'run', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', OTEL_NODE_DISABLED_INSTRUMENTATIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d));
  child.stderr!.on('data', (d: Buffer) => (log += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    log: () => log,
    exited,
    async until(pattern, count = 1, timeoutMillis = 30_000) {
      const global = new RegExp(pattern.source, 'g');
      const deadline = Date.now() + timeoutMillis;
      while ((log.match(global) ?? []).length < count) {
        if (Date.now() > deadline) throw new Error(`waited for ${count} × ${pattern}; log:\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
