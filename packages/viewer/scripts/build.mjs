// Builds the viewer: the server as one ESM bundle (its store is Node's own node:sqlite), and the UI
// as one browser script plus its HTML and CSS, so the page makes no request beyond its origin.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
copyFileSync(`${root}src/ui/index.html`, `${root}dist/ui/index.html`);
// uPlot's own stylesheet first, the UI's after it: one file, one request.
const uplotCss = readFileSync(fileURLToPath(import.meta.resolve('uplot/dist/uPlot.min.css')), 'utf8');
writeFileSync(`${root}dist/ui/app.css`, `${uplotCss}\n${readFileSync(`${root}src/ui/app.css`, 'utf8')}`);
