// The package as a user gets it: `npm pack`, installed into an empty app from the tarball (offline,
// with an empty npm cache: nothing is fetched or compiled), then `npx sightline view` answering on
// its UI port, ES-module and CommonJS apps loading it, and a CommonJS TypeScript project type-checking
// `require('sightline')` against the CommonJS declarations. Needs the build (`npm test` builds first).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
// Children run on this test's own Node (npm's `node` package may have started it), whatever is first in PATH.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package, installed into an empty app', () => {
  const work = mkdtempSync(join(tmpdir(), 'sightline-install-'));
  const app = join(work, 'app');
  let installStarted = 0;
  let installMs = 0;

  before(() => {
    assert.ok(existsSync(join(PACKAGE, 'dist', 'viewer', 'index.js')), 'build first (npm run build)');
    npm(['pack', '--pack-destination', work], PACKAGE);
    // The peer dependency and the one dependency, @opentelemetry/api-logs, packed from the workspace's
    // own copies so the install needs no registry. (They export no ./package.json: each folder is
    // found from its main file.)
    for (const name of ['@opentelemetry/api', '@opentelemetry/api-logs']) {
      const main = require.resolve(name);
      npm(['pack', '--pack-destination', work], main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}`.length));
    }
    const tarballs = readdirSync(work)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(work, f));
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true }));
    installStarted = Date.now();
    npm(['install', '--offline', '--no-audit', '--no-fund', '--cache', join(work, 'npm-cache'), ...tarballs], app);
    installMs = Date.now() - installStarted;
  });

  after(() => {
    execFileSync('rm', ['-rf', work]);
  });

  // The optional dependency, @datadog/pprof (the profiler's native part), cannot be fetched offline:
  // npm leaves it out and the install succeeds, as it must wherever that package cannot install.
  it('installs nothing but itself, its peer and @opentelemetry/api-logs (the optional profiler left out offline), and no install script runs', () => {
    const modules = readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'));
    assert.deepEqual(modules.sort(), ['@opentelemetry', 'sightline']);
    assert.deepEqual(readdirSync(join(app, 'node_modules', '@opentelemetry')).sort(), ['api', 'api-logs']);
  });

  it('`npx sightline view` answers on its UI port within 60 s of the start of the install', async (t) => {
    const viewer = spawn('npx', ['sightline', 'view', '--memory', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    viewer.stdout.on('data', (d: Buffer) => (out += d));
    viewer.stderr.on('data', (d: Buffer) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no viewer within 60 s: ${out}`)), 60_000);
        viewer.stdout.on('data', () => {
          const match = /Sightline viewer (http:\/\/\S+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        viewer.on('exit', () => reject(new Error(`the viewer exited: ${out}`)));
      });
      const page = await fetch(url);
      const answeredMs = Date.now() - installStarted;
      t.diagnostic(`install ${installMs} ms; UI answering ${answeredMs} ms after the install began`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>/);
      assert.ok(answeredMs < 60_000, `${answeredMs} ms`);
      assert.doesNotMatch(out, /ExperimentalWarning/, 'node:sqlite loads without a warning in the viewer’s output');
    } finally {
      try {
        process.kill(-viewer.pid!, 'SIGINT');
      } catch {
        // Already exited (the failure above says why).
      }
    }
  });

  it('`sightline --version` and `--help` answer', () => {
    const version = JSON.parse(
      execFileSync(process.execPath, ['-p', 'JSON.stringify(require("sightline/package.json").version)'], { cwd: app, encoding: 'utf8' }),
    );
    assert.equal(execFileSync('npx', ['sightline', '--version'], { cwd: app, env, encoding: 'utf8' }).trim(), version);
    assert.match(execFileSync('npx', ['sightline', 'view', '--help'], { cwd: app, env, encoding: 'utf8' }), /Usage: sightline view/);
  });

  it('loads in an ES-module app and in a CommonJS app, without loading the viewer', () => {
    writeFileSync(
      join(app, 'esm.mjs'),
      "import { init, getStats } from 'sightline';\ninit({ exporter: 'none', serviceName: 'esm' });\nconsole.log(typeof getStats());\n",
    );
    writeFileSync(
      join(app, 'cjs.cjs'),
      "const { init, getStats } = require('sightline');\ninit({ exporter: 'none', serviceName: 'cjs' });\nconsole.log(typeof getStats());\n",
    );
    for (const file of ['esm.mjs', 'cjs.cjs'])
      assert.equal(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }).trim(), 'object', file);
    // Only the `sightline` command refers to the viewer: the runtime bundles cannot load it.
    for (const bundle of ['index.js', 'index.cjs', 'export-worker.cjs', 'esm-loader-hook.mjs']) {
      assert.doesNotMatch(
        readFileSync(join(app, 'node_modules', 'sightline', 'dist', bundle), 'utf8'),
        /dist\/viewer|runCli|node:sqlite/,
        bundle,
      );
    }
  });

  it('ships the bundles an app loads as ASCII, which V8 holds at one byte a character', () => {
    // One non-Latin-1 character anywhere (a "…" in a comment) made V8 keep index.js's 427 KB of source
    // as an 854 KB two-byte string for the life of every process (scripts/build.mjs).
    for (const bundle of ['index.js', 'index.cjs', 'export-worker.cjs', 'esm-loader-hook.mjs', 'cli/run.js']) {
      const text = readFileSync(join(app, 'node_modules', 'sightline', 'dist', bundle), 'utf8');
      const at = text.search(/[\u0080-\uffff]/);
      assert.equal(at, -1, `${bundle} has a non-ASCII character at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`);
    }
  });
  it('type-checks require("sightline") in a CommonJS TypeScript project, and import in an ES-module one', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: [] },
        files: ['cjs-app.cts', 'esm-app.mts'],
      }),
    );
    writeFileSync(
      join(app, 'cjs-app.cts'),
      "import sightline = require('sightline');\nsightline.init({ serviceName: 'orders', sampleRatio: 0.5 });\nconst stats: sightline.SightlineStats | undefined = sightline.getStats();\nexport const lost: number = stats?.spansAbandoned ?? 0;\n",
    );
    writeFileSync(
      join(app, 'esm-app.mts'),
      "import { init, getStats, type InitOptions } from 'sightline';\nconst options: InitOptions = { serviceName: 'orders', exportQueue: { maxQueueBytes: 1 << 26 } };\ninit(options);\nexport const ended: number = getStats()?.spansEnded ?? 0;\n",
    );
    execFileSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
    // And a wrong use is caught, so the check has teeth.
    writeFileSync(join(app, 'cjs-app.cts'), "import sightline = require('sightline');\nsightline.init({ serviceName: 42 });\n");
    assert.throws(
      () => execFileSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8', stdio: 'pipe' }),
      (error: { stdout?: string }) => /Type 'number' is not assignable to type 'string'/.test(error.stdout ?? ''),
    );
  });
});
