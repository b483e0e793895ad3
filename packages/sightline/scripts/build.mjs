// Builds the package: one ESM and one CommonJS bundle of the public API (so `--require` works on
// Node 20 without require(esm)), the export worker as its own ESM file, and type declarations.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
rmSync(`${root}dist`, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['@opentelemetry/api'],
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
  build({ ...common, entryPoints: ['src/export/worker/main.ts'], format: 'esm', outfile: 'dist/export-worker.mjs' }),
  build({ ...common, entryPoints: ['src/instrumentation/esm-loader-hook.ts'], format: 'esm', outfile: 'dist/esm-loader-hook.mjs' }),
]);

execFileSync(process.execPath, [`${root}../../node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json', '--emitDeclarationOnly'], {
  cwd: root,
  stdio: 'inherit',
});
