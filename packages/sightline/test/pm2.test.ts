// The PM2 recipe the README gives: Sightline loaded through `node_args` with an absolute path (a
// cluster worker starts in the daemon's folder, so a package name would not resolve; and the
// ecosystem's `env` is applied inside the worker after Node started, so NODE_OPTIONS there does
// nothing). Two PM2 cluster workers, both traced; `pm2 reload` under keep-alive load fails no request
// (the old workers drain on PM2's SIGINT) and loses no span (they flush before they exit). PM2 runs
// from npm, with a PM2_HOME of the test's own (its daemon is killed at the end).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { FIXTURES, freePort } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

const require = createRequire(import.meta.url);
const PM2 = require.resolve('pm2/bin/pm2');
/** As the recipe has it: `require.resolve('sightline/register')` from the app, here the ES-module entry's path. */
const REGISTER = fileURLToPath(new URL('../register.mjs', import.meta.url));

describe('PM2', () => {
  it('cluster mode with Sightline in node_args traces every worker; a reload under load fails no request and loses no span', async () => {
    const receiver = await startHttpReceiver();
    const home = mkdtempSync(join(tmpdir(), 'sightline-pm2-'));
    const port = await freePort();
    const ecosystem = join(home, 'ecosystem.config.cjs');
    writeFileSync(
      ecosystem,
      `module.exports = { apps: [{
        name: 'sightline-pm2',
        script: ${JSON.stringify(join(FIXTURES, 'run-fastify.cjs'))},
        cwd: ${JSON.stringify(FIXTURES)},
        instances: 2,
        exec_mode: 'cluster',
        kill_timeout: 15000,
        node_args: ['--import', ${JSON.stringify(REGISTER)}],
        env: {
          PORT: '${port}',
          OTEL_SERVICE_NAME: 'pm2-app',
          OTEL_EXPORTER_OTLP_ENDPOINT: ${JSON.stringify(receiver.url)},
          // Long enough that the last batch of each worker leaves only through the flush at its exit.
          OTEL_BSP_SCHEDULE_DELAY: '60000',
        },
      }] };\n`,
    );
    const pm2Env = { PATH: process.env.PATH ?? '', HOME: home, PM2_HOME: home };
    const pm2 = (...args: string[]) => execFileSync(process.execPath, [PM2, ...args], { env: pm2Env, encoding: 'utf8', stdio: 'pipe' });
    try {
      pm2('start', ecosystem);
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await (await fetch(`http://127.0.0.1:${port}/items/0`)).text();
          break;
        } catch {
          if (Date.now() > deadline) throw new Error(`the PM2 app never answered: ${pm2('logs', '--nostream', '--lines', '50')}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      // Fresh connections each time, so PM2's cluster spreads them over both workers.
      for (let i = 1; i <= 60; i++) await (await fetch(`http://127.0.0.1:${port}/items/${i}`, { headers: { connection: 'close' } })).text();
      const load = autocannon({ url: `http://127.0.0.1:${port}/items/7`, connections: 8, overallRate: 400, amount: 3000 });
      await new Promise((r) => setTimeout(r, 1500));
      // Not execFileSync: the load generator runs on this event loop.
      await promisify(execFile)(process.execPath, [PM2, 'reload', 'sightline-pm2'], { env: pm2Env });
      const result = await load;
      assert.deepEqual(
        { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets },
        { errors: 0, timeouts: 0, non2xx: 0, resets: 0 },
        'no failed request during the reload',
      );
      pm2('kill');
      const expected = 61 + result['2xx'];
      await receiver.waitForSpans(expected, 30_000);
      const spans = receiver.spans.filter((s) => s.kind === 2);
      assert.equal(spans.length, expected, 'one SERVER span per answered request');
      const pids = new Set(spans.map((s) => s.resource['process.pid']));
      assert.equal(pids.size, 4, `SERVER spans from ${pids.size} PM2 workers (two, then two after the reload)`);
      assert.ok(receiver.spans.every((s) => s.resource['service.name'] === 'pm2-app'));
    } finally {
      try {
        pm2('kill');
      } catch {
        // Already gone.
      }
      await receiver.close();
    }
  });
});
