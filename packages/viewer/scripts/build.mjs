// Builds the viewer: the server as one ESM bundle (its store is Node's own node:sqlite), and the UI
// as one browser script plus its HTML and CSS, so the page makes no request beyond its origin.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
rmSync(`${root}dist`, { recursive: true, force: true });
mkdirSync(`${root}dist/ui`, { recursive: true });

await Promise.all([
  build({
    absWorkingDir: root,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/index.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    define: { VIEWER_VERSION: JSON.stringify(pkg.version) },
    sourcemap: true,
    logLevel: 'warning',
  }),
  build({
    absWorkingDir: root,
    entryPoints: ['src/ui/app.ts'],
    outfile: 'dist/ui/app.js',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  }),
]);
for (const file of ['index.html', 'app.css']) copyFileSync(`${root}src/ui/${file}`, `${root}dist/ui/${file}`);
