// `sightline run` under a real load generator (autocannon, keep-alive connections): a rolling restart
// fails no request and loses no span, a killed worker is replaced, --watch restarts on a change,
// --workers auto follows the cgroup's CPU quota, and usage errors say what was wrong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import autocannon from 'autocannon';
import { asyncContextFrameFlag } from '../src/cli/run/async-context-frame.js';
import { cgroupCpuQuota } from '../src/cli/run/cpu-count.js';
import { parseRunArgs } from '../src/cli/run/options.js';
import { FIXTURES, freePort } from './support/child-app.js';
import { BIN, startRun } from './support/sightline-run.js';
import { duplicateSpanIds, startHttpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

const require = createRequire(import.meta.url);

const serverSpans = (spans: ReceivedSpan[]): ReceivedSpan[] => spans.filter((s) => s.kind === 2);

describe('sightline run', () => {
  it('replaces both workers under keep-alive load with no failed request, and every 2xx has exactly one SERVER span', async () => {
    const receiver = await startHttpReceiver();
    const port = await freePort();
    const run = startRun(['--workers', '2', '--graceful-timeout', '10', 'run-fastify.cjs'], {
      PORT: String(port),
      OTEL_SERVICE_NAME: 'run-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    try {
      await run.until(/listening on/, 2);
      // A number of requests rather than a duration, so that autocannon reads every answer it counts (at
      // the end of a duration the last answers go unread). It stops a few short of the number when its
      // connections are closed under it, which is why the spans are compared with what it counted.
      const load = autocannon({ url: `http://127.0.0.1:${port}/items/7`, connections: 8, overallRate: 600, amount: 5400 });
      await new Promise((r) => setTimeout(r, 2000));
      run.child.kill('SIGHUP');
      // Both replaced while the load runs: two more workers listening, two old ones stopped.
      await run.until(/listening on/, 4);
      await run.until(/stopped \(signal SIGTERM\)/, 2);
      const result = await load;
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.log());
      assert.deepEqual(
        { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets },
        { errors: 0, timeouts: 0, non2xx: 0, resets: 0 },
        'no failed request',
      );
      const ok = result['2xx'];
      assert.ok(ok > 5000, `${ok} requests answered 2xx`);
      await receiver.waitForSpans(ok, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      const spans = serverSpans(receiver.spans);
      assert.equal(spans.length, ok, 'exactly one SERVER span per 2xx response');
      assert.deepEqual(duplicateSpanIds(spans), []);
      const instances = new Set(spans.map((s) => s.resource['service.instance.id']));
      assert.ok(instances.size >= 4, `${instances.size} service.instance.id values`);
      assert.deepEqual([...new Set(spans.map((s) => s.resource['sightline.worker.index']))].sort(), [0, 1]);
    } finally {
      run.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('drains with the SDK disabled too: a rolling restart under keep-alive load fails no request', async () => {
    const port = await freePort();
    const run = startRun(['--workers', '1', 'run-fastify.cjs'], { PORT: String(port), OTEL_SDK_DISABLED: 'true' });
    try {
      await run.until(/listening on/);
      const load = autocannon({ url: `http://127.0.0.1:${port}/items/7`, connections: 8, overallRate: 400, amount: 2000 });
      await new Promise((r) => setTimeout(r, 1500));
      run.child.kill('SIGHUP');
      await run.until(/stopped \(signal SIGTERM\)/);
      const result = await load;
      assert.deepEqual({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }, { errors: 0, timeouts: 0, non2xx: 0 });
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.log());
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it("runs the app's own SIGTERM handler to its end on a rolling restart, and loses no span", async () => {
    const receiver = await startHttpReceiver();
    const port = await freePort();
    const run = startRun(['--workers', '2', 'run-fastify.cjs'], {
      PORT: String(port),
      OWN_SIGTERM_HANDLER: '1',
      OTEL_SERVICE_NAME: 'run-own-handler',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    try {
      await run.until(/listening on/, 2);
      for (let i = 0; i < 30; i++) await (await fetch(`http://127.0.0.1:${port}/items/${i}`, { headers: { connection: 'close' } })).text();
      run.child.kill('SIGHUP');
      // The old workers exit when their handler says so, after its cleanup: code 0, not the signal.
      await run.until(/cleaned up after SIGTERM/, 2);
      await run.until(/stopped \(code 0\)/, 2);
      for (let i = 30; i < 60; i++) await (await fetch(`http://127.0.0.1:${port}/items/${i}`, { headers: { connection: 'close' } })).text();
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.log());
      assert.equal((run.log().match(/cleaned up after SIGTERM/g) ?? []).length, 4, 'the handler ran in all four workers');
      await receiver.waitForSpans(60);
      const spans = serverSpans(receiver.spans);
      assert.equal(spans.length, 60);
      assert.deepEqual(duplicateSpanIds(spans), []);
    } finally {
      run.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  for (const [kind, app] of [
    ['an ES-module app that calls init() itself', 'run-init-itself.mjs'],
    ['a TypeScript app', 'run-typescript.ts'],
  ] as const) {
    it(`runs ${kind}: one SERVER span per request, none from the primary`, async () => {
      const receiver = await startHttpReceiver();
      const port = await freePort();
      const run = startRun(['--workers', '2', app], {
        PORT: String(port),
        OTEL_SERVICE_NAME: 'run-kinds',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      try {
        await run.until(/listening on/, 2);
        for (let i = 0; i < 10; i++)
          await (await fetch(`http://127.0.0.1:${port}/items/${i}`, { headers: { connection: 'close' } })).text();
        run.child.kill('SIGTERM');
        assert.equal(await run.exited, 0, run.log());
        await receiver.waitForSpans(10);
        const spans = serverSpans(receiver.spans);
        assert.equal(spans.length, 10);
        assert.deepEqual(duplicateSpanIds(spans), []);
        assert.ok(receiver.spans.every((s) => s.resource['process.pid'] !== run.child.pid && s.resource['service.name'] === 'run-kinds'));
        const secondInit = (run.log().match(/init\(\) was called again/g) ?? []).length;
        assert.equal(secondInit, app.endsWith('.mjs') ? 2 : 0, 'one warning per worker about the second init()');
      } finally {
        run.child.kill('SIGKILL');
        await receiver.close();
      }
    });
  }

  it('replaces a worker killed with SIGKILL; only requests in flight on it fail', async () => {
    const port = await freePort();
    const run = startRun(['--workers', '2', 'run-fastify.cjs'], {
      PORT: String(port),
      OTEL_SERVICE_NAME: 'run-kill',
      OTEL_TRACES_EXPORTER: 'none',
    });
    try {
      await run.until(/listening on/, 2);
      const connections = 8;
      const load = autocannon({ url: `http://127.0.0.1:${port}/items/7`, connections, overallRate: 400, duration: 5 });
      await new Promise((r) => setTimeout(r, 1500));
      const pid = Number(/worker 1 \(pid (\d+)\) listening/.exec(run.log())![1]);
      process.kill(pid, 'SIGKILL');
      await run.until(new RegExp(`worker 1 \\(pid ${pid}\\) exited unexpectedly \\(signal SIGKILL\\)`));
      await run.until(/worker 1 \(pid \d+\) listening/, 2);
      const result = await load;
      assert.ok(result.errors + result.timeouts <= connections, `${result.errors} errors, ${result.timeouts} timeouts`);
      assert.ok(result['2xx'] > 1000);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('--watch restarts the workers when the app changes; spans keep arriving, none twice', async () => {
    const receiver = await startHttpReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'sightline-watch-'));
    copyFileSync(join(FIXTURES, 'run-fastify.cjs'), join(dir, 'app.cjs'));
    // The copy finds fastify where the workspace installed it.
    writeFileSync(join(dir, 'package.json'), '{"name":"watched-app","private":true}');
    const port = await freePort();
    const run = startRun(
      ['--workers', '1', '--watch', 'app.cjs'],
      {
        PORT: String(port),
        OTEL_SERVICE_NAME: 'run-watch',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        NODE_PATH: dirname(dirname(require.resolve('fastify/package.json'))),
      },
      dir,
    );
    try {
      await run.until(/listening on/);
      for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${port}/items/${i}`)).text();
      appendFileSync(join(dir, 'app.cjs'), '\n// edited\n');
      await run.until(/replacing the workers one at a time \(app\.cjs changed\)/);
      await run.until(/listening on/, 2);
      await run.until(/stopped \(signal SIGTERM\)/);
      for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${port}/items/${i}`)).text();
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.log());
      await receiver.waitForSpans(40);
      const spans = serverSpans(receiver.spans);
      assert.equal(spans.length, 40);
      assert.deepEqual(duplicateSpanIds(spans), []);
      assert.equal(new Set(spans.map((s) => s.resource['service.instance.id'])).size, 2, 'before and after the change');
    } finally {
      run.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('--ready-when started: an app that serves no port is replaced on SIGHUP once the new worker has run', async () => {
    const receiver = await startHttpReceiver();
    const run = startRun(['--workers', '1', '--ready-when', 'started', 'run-consumer.cjs'], {
      OTEL_SERVICE_NAME: 'run-consumer',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    try {
      await run.until(/worker 0 \(pid \d+\) running/);
      run.child.kill('SIGHUP');
      await run.until(/worker 0 \(pid \d+\) running/, 2);
      await run.until(/stopped \(signal SIGTERM\)/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.log());
      assert.doesNotMatch(run.log(), /did not run|killed/);
      // Both generations traced, and each flushed at its stop: spans from two processes.
      await receiver.waitForSpans(2);
      assert.equal(new Set(receiver.spans.map((s) => s.resource['process.pid'])).size, 2);
    } finally {
      run.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('runs its workers with AsyncLocalStorage on AsyncContextFrame on every supported Node, unless the user turned it off', async () => {
    // Node 22 needs a flag for it (which `sightline run` passes); 24 and later have it by default.
    // Turning it off is --no-experimental-async-context-frame on 22 and --no-async-context-frame later.
    const optOut = process.allowedNodeEnvironmentFlags.has('--experimental-async-context-frame')
      ? '--no-experimental-async-context-frame'
      : '--no-async-context-frame';
    for (const [nodeOptions, expected] of [
      [undefined, true],
      [optOut, false],
    ] as const) {
      const port = await freePort();
      const run = startRun(['--workers', '1', 'run-context-frame.cjs'], {
        PORT: String(port),
        OTEL_TRACES_EXPORTER: 'none',
        ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
      });
      try {
        await run.until(/async context frame: (true|false)/);
        assert.match(run.log(), new RegExp(`async context frame: ${expected}`), `NODE_OPTIONS=${nodeOptions ?? ''}\n${run.log()}`);
        run.child.kill('SIGTERM');
        assert.equal(await run.exited, 0, run.log());
      } finally {
        run.child.kill('SIGKILL');
      }
    }
  });

  it('adds the AsyncContextFrame flag only where this Node has it and nobody set it either way', () => {
    const node22 = new Set(['--experimental-async-context-frame', '--import']);
    const node24 = new Set(['--no-async-context-frame', '--async-context-frame', '--import']);
    const flag = ['--experimental-async-context-frame'];
    assert.deepEqual(asyncContextFrameFlag(node22, undefined, [], []), flag);
    assert.deepEqual(asyncContextFrameFlag(node22, '--max-old-space-size=512', [], ['--import', 'tsx']), flag);
    assert.deepEqual(asyncContextFrameFlag(node24, undefined, [], []), [], 'on by default from Node 24');
    assert.deepEqual(asyncContextFrameFlag(node22, ' --no-experimental-async-context-frame ', [], []), [], 'turned off in NODE_OPTIONS');
    assert.deepEqual(asyncContextFrameFlag(node22, undefined, ['--experimental-async-context-frame'], []), [], 'already given');
    assert.deepEqual(asyncContextFrameFlag(node22, undefined, [], ['--no-async-context-frame']), [], 'turned off for the workers');
  });

  it('--workers auto starts one worker in a cgroup limited to one CPU', async () => {
    const cgroup = mkdtempSync(join(tmpdir(), 'sightline-cgroup-'));
    writeFileSync(join(cgroup, 'cpu.max'), '100000 100000\n');
    const port = await freePort();
    const run = startRun(['run-fastify.cjs'], {
      PORT: String(port),
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 'auto',
      SIGHTLINE_CGROUP_ROOT: cgroup,
    });
    try {
      await run.until(/listening on/);
      assert.match(run.log(), /1 worker \(--workers auto: the cgroup's CPU quota of 1 CPUs\)/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
      assert.equal((run.log().match(/starting/g) ?? []).length, 1);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('reads cgroup v2 and v1 CPU quotas, unlimited ones as none', () => {
    const v2 = mkdtempSync(join(tmpdir(), 'cg2-'));
    writeFileSync(join(v2, 'cpu.max'), '250000 100000');
    assert.equal(cgroupCpuQuota(v2), 2.5);
    writeFileSync(join(v2, 'cpu.max'), 'max 100000');
    assert.equal(cgroupCpuQuota(v2), undefined);
    const v1 = mkdtempSync(join(tmpdir(), 'cg1-'));
    mkdirSync(join(v1, 'cpu'));
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_quota_us'), '50000');
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(cgroupCpuQuota(v1), 0.5);
    writeFileSync(join(v1, 'cpu', 'cpu.cfs_quota_us'), '-1');
    assert.equal(cgroupCpuQuota(v1), undefined);
    assert.equal(cgroupCpuQuota(join(v1, 'nothing-here')), undefined);
  });

  it('parses its options, the app and the app’s own arguments, and names what is wrong', () => {
    assert.deepEqual(parseRunArgs(['--workers', '3', '--graceful-timeout=5', '--import', 'tsx', 'app.ts', '--port', '8080']), {
      workers: 3,
      gracefulTimeoutMillis: 5000,
      readyWhen: 'listening',
      watch: undefined,
      healthPort: undefined,
      nodeOptions: ['--import', 'tsx'],
      app: 'app.ts',
      appArgs: ['--port', '8080'],
      help: false,
    });
    assert.deepEqual(parseRunArgs(['--watch', 'app.js']).watch, [], 'a file after --watch is the app');
    assert.deepEqual(parseRunArgs(['--watch=src,lib', 'app.js']).watch, ['src', 'lib']);
    for (const [args, message] of [
      [['--workers', 'many', 'app.js'], /--workers "many" is not a whole number from 1 to 1024/],
      [['--health-port', '70000', 'app.js'], /--health-port "70000" is not a whole number from 1 to 65535/],
      [['--colour', 'app.js'], /unknown option "--colour"/],
      [['--ready-when', 'soon', 'app.js'], /--ready-when "soon" is not listening or started/],
      [[], /no app given/],
    ] as const) {
      assert.throws(() => parseRunArgs([...args]), message);
    }
    const missing = spawnSync(process.execPath, [BIN, 'run', 'no-such-app.js'], { encoding: 'utf8', cwd: FIXTURES });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /the app .*no-such-app\.js does not exist/);
  });
});
