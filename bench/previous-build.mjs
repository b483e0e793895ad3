// For `npm run bench -- --quick`: builds Sightline as it was at another commit, beside this checkout,
// so that the benchmark can run it side by side with the current build in one run. The commit is
// checked out as a detached git worktree under bench/.previous (ignored by git), its JavaScript
// bundles built with this checkout's esbuild, and its node_modules pointed at this checkout's, so
// both builds resolve the same @opentelemetry/api and the same libraries.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = join(ROOT, 'bench', '.previous');

const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The commit after `--against` on the command line of a side-by-side tool, undefined without one. */
export function againstArgument() {
  const at = process.argv.indexOf('--against');
  return at === -1 ? undefined : process.argv[at + 1];
}

/**
 * What the current build is compared with: `ref` when given; else HEAD when the package's sources have
 * uncommitted changes (the change about to land), else the commit before HEAD.
 */
export function previousRef(ref) {
  if (ref !== undefined) return ref;
  const dirty = git('status', '--porcelain', '--', 'packages/sightline/src', 'packages/otlp/src') !== '';
  return dirty ? 'HEAD' : 'HEAD~1';
}

/**
 * The builds a side-by-side tool runs: this checkout's, and with `against` (a commit, or undefined for
 * none) that commit's, built beside it. Each is a label and what to pass to node to load it.
 */
export async function buildsUnderTest(against) {
  const builds = [{ label: 'this build', args: ['--import', 'sightline/register'] }];
  if (against !== undefined) {
    const previous = await buildPrevious(previousRef(against));
    builds.push({ label: previous.label, args: previous.args });
  }
  return builds;
}

/** Builds `ref` and returns what to pass to node to load its register hook, with a label. */
export async function buildPrevious(ref) {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const label = `${git('rev-parse', '--short', commit)} (${ref})`;
  if (existsSync(DIR)) {
    execFileSync('git', ['worktree', 'remove', '--force', DIR], { cwd: ROOT, stdio: 'ignore' });
    rmSync(DIR, { recursive: true, force: true });
  }
  execFileSync('git', ['worktree', 'prune'], { cwd: ROOT });
  execFileSync('git', ['worktree', 'add', '--detach', DIR, commit], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(DIR, 'node_modules'), 'dir');
  const pkg = join(DIR, 'packages', 'sightline');
  // npm may nest a dependency of the package's own (api-logs) under it.
  const nested = join(ROOT, 'packages', 'sightline', 'node_modules');
  if (existsSync(nested)) symlinkSync(nested, join(pkg, 'node_modules'), 'dir');
  const { build } = createRequire(join(ROOT, 'packages', 'sightline', 'package.json'))('esbuild');
  const common = {
    absWorkingDir: pkg,
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['@opentelemetry/api', '@opentelemetry/api-logs'],
    // The commit's own @sightline/otlp, not this checkout's.
    alias: { '@sightline/otlp': join(DIR, 'packages', 'otlp', 'src', 'index.ts') },
    define: { SIGHTLINE_VERSION: JSON.stringify('previous') },
    logLevel: 'warning',
  };
  // The worker's file as that commit's SDK names it: an ES module before 2026-12-03, CommonJS since.
  const workerCjs = readFileSync(join(pkg, 'src', 'export', 'export-worker.ts'), 'utf8').includes("'./export-worker.cjs'");
  await Promise.all([
    build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.js' }),
    build({
      ...common,
      entryPoints: ['src/export/worker/main.ts'],
      format: workerCjs ? 'cjs' : 'esm',
      outfile: workerCjs ? 'dist/export-worker.cjs' : 'dist/export-worker.mjs',
    }),
    build({ ...common, entryPoints: ['src/instrumentation/esm-loader-hook.ts'], format: 'esm', outfile: 'dist/esm-loader-hook.mjs' }),
  ]);
  return { label, args: ['--import', pathToFileURL(join(pkg, 'register.mjs')).href] };
}

/** Removes the worktree. */
export function removePrevious() {
  try {
    execFileSync('git', ['worktree', 'remove', '--force', DIR], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    rmSync(DIR, { recursive: true, force: true });
  }
}
