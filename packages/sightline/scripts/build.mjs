// Builds the package:
// - dist/index.js (ES module) and dist/index.cjs (CommonJS) of the public API, @sightline/otlp bundled
//   in and @opentelemetry/api left to the app (a peer dependency: the app's one copy holds the globals);
// - dist/export-worker.cjs and dist/esm-loader-hook.mjs, which the SDK loads by path (the worker as
//   CommonJS: a worker whose entry is an ES module sets up Node's ES module loader in its own isolate,
//   8-14 MB of RSS more per process on Node 22-26);
// - dist/index.d.ts and dist/index.d.cts: the public types, each one self-contained file, so `import`
//   gets ES-module types and `require` CommonJS ones (checked by attw in the test command);
// - dist/viewer/: the viewer, as its own package built it; only `sightline view` ever loads it.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
rmSync(`${root}dist`, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  // @datadog/pprof: an optional dependency with a native part, loaded only when profiling is on.
  external: ['@opentelemetry/api', '@opentelemetry/api-logs', '@datadog/pprof'],
  define: { SIGHTLINE_VERSION: JSON.stringify(pkg.version) },
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.js' }),
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    format: 'cjs',
    outfile: 'dist/index.cjs',
    // The CommonJS bundle locates the worker file the same way the ESM one does.
    define: { ...common.define, 'import.meta.url': '__sightline_module_url' },
    banner: { js: "const __sightline_module_url = require('node:url').pathToFileURL(__filename).href;" },
  }),
  build({ ...common, entryPoints: ['src/export/worker/main.ts'], format: 'cjs', outfile: 'dist/export-worker.cjs' }),
  build({ ...common, entryPoints: ['src/instrumentation/esm-loader-hook.ts'], format: 'esm', outfile: 'dist/esm-loader-hook.mjs' }),
  // The `sightline run` primary: loaded only by bin/sightline.mjs, never by an app.
  build({ ...common, entryPoints: ['src/cli/run/main.ts'], format: 'esm', outfile: 'dist/cli/run.js' }),
]);

// V8 keeps each script's source text for as long as the script lives, one byte a character when every
// character is Latin-1 and two bytes otherwise. esbuild's output escapes every non-ASCII character of
// code (its default `charset: 'ascii'`) but keeps comments as written, and one "…" in a comment made
// the 427 KB bundle an 854 KB string in every process (and every `sightline run` worker). Each such
// character, all in comments, becomes one `?`: a single UTF-16 unit for a single one, so that the
// source maps' columns still hold.
for (const file of ['index.js', 'index.cjs', 'export-worker.cjs', 'esm-loader-hook.mjs', 'cli/run.js']) {
  const path = `${root}dist/${file}`;
  const text = readFileSync(path, 'utf8');
  if (/[\u0080-\uffff]/.test(text)) writeFileSync(path, text.replace(/[\u0080-\uffff]/g, '?'));
}

const require = createRequire(import.meta.url);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// @sightline/otlp is never published: internal files import it, but no public type may need it.
const bundle = await rollup({
  input: `${root}dist/declarations/index.d.ts`,
  plugins: [dts()],
  external: ['@opentelemetry/api', '@opentelemetry/api-logs', '@sightline/otlp'],
  onwarn: (warning, warn) =>
    warning.code === 'UNUSED_EXTERNAL_IMPORT' && warning.exporter === '@sightline/otlp' ? undefined : warn(warning),
});
await bundle.write({ file: `${root}dist/index.d.ts`, format: 'es' });
await bundle.close();
if (readFileSync(`${root}dist/index.d.ts`, 'utf8').includes('@sightline/otlp'))
  throw new Error('a public type refers to @sightline/otlp, which is not published');
copyFileSync(`${root}dist/index.d.ts`, `${root}dist/index.d.cts`);
rmSync(`${root}dist/declarations`, { recursive: true, force: true });

const viewer = dirname(require.resolve('sightline-viewer/package.json'));
if (!existsSync(join(viewer, 'dist', 'index.js'))) throw new Error('build the viewer first: npm run build -w sightline-viewer');
cpSync(join(viewer, 'dist'), `${root}dist/viewer`, { recursive: true });
