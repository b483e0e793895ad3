// The node binary a benchmark runs: `current` (the one running the benchmark), or a major line (22,
// 24, 26) from npm's `node` package, installed into bench/.node<major> on first use.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));

/** The node binary for a BENCH_NODES entry. */
export function nodeFor(name) {
  if (name === 'current') return process.execPath;
  if (!/^\d+$/.test(name)) throw new Error(`BENCH_NODES entry "${name}" is neither "current" nor a Node major version such as 24`);
  const dir = join(BENCH, `.node${name}`);
  const bin = join(dir, 'node_modules/node/bin/node');
  if (!existsSync(bin)) {
    console.error(`bench: installing Node ${name} (the \`node\` package from npm) into bench/.node${name}`);
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', `node@${name}`], { stdio: 'inherit' });
  }
  return bin;
}

/**
 * Node options every contender runs with on this binary, untraced included: on Node 22,
 * `--experimental-async-context-frame`, which the README tells Node 22 users to pass and
 * `sightline run` passes itself (Node 24 and later have the frame on by default). It serves every
 * contender's AsyncLocalStorage alike, OpenTelemetry JS's and dd-trace's too.
 * BENCH_ASYNC_CONTEXT_FRAME=off leaves Node 22 on async hooks.
 */
export function runtimeArgs(nodeBin, env = process.env) {
  if (env.BENCH_ASYNC_CONTEXT_FRAME === 'off') return [];
  const has = execFileSync(nodeBin, ['-p', "process.allowedNodeEnvironmentFlags.has('--experimental-async-context-frame')"], {
    encoding: 'utf8',
  }).trim();
  return has === 'true' ? ['--experimental-async-context-frame'] : [];
}
