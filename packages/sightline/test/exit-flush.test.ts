// No span is lost when the process ends: SIGTERM with the app's own handler calling process.exit(),
// SIGTERM with no handler of the app's, and a natural end of the event loop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { FIXTURES, freePort, hit, startApp } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

describe('flush at exit', () => {
  it('delivers all 2,000 spans when the app’s own SIGTERM handler calls process.exit(0)', async () => {
    const receiver = await startHttpReceiver();
    // A long schedule delay: nothing leaves before the signal except full batches.
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'exit-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      APP_OWN_SIGTERM: '1',
    });
    try {
      await hit(app.port, '/items/1', 2000, 32);
      app.child.kill('SIGTERM');
      const { code, signal } = await app.exited;
      assert.equal(code, 0, 'the app’s own handler decides the exit status');
      assert.equal(signal, null);
      assert.equal(receiver.spans.length, 2000, `stderr: ${app.stderr()}`);
      assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 2000, 'no span twice');
    } finally {
      await receiver.close();
    }
  });

  it('flushes and then ends with the signal when the app has no SIGTERM handler', async () => {
    const receiver = await startHttpReceiver();
    const app = await startApp('app.cjs', {
      OTEL_SERVICE_NAME: 'exit-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    try {
      await hit(app.port, '/items/1', 300, 16);
      app.child.kill('SIGTERM');
      const { code, signal } = await app.exited;
      assert.equal(signal, 'SIGTERM', 'the conventional end by the signal, as without Sightline');
      assert.equal(code, null);
      assert.equal(receiver.spans.length, 300);
    } finally {
      await receiver.close();
    }
  });

  it('flushes when the event loop runs dry, without keeping the process alive', async () => {
    const receiver = await startHttpReceiver();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'sightline/register',
        '-e',
        "import('@opentelemetry/api').then(({ trace }) => { for (let i = 0; i < 25; i++) trace.getTracer('t').startSpan('s' + i).end(); })",
      ],
      {
        cwd: FIXTURES,
        env: {
          PATH: process.env.PATH ?? '',
          OTEL_SERVICE_NAME: 'short-lived',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_BSP_SCHEDULE_DELAY: '60000',
        },
        stdio: 'ignore',
      },
    );
    const started = Date.now();
    const [code] = await once(child, 'exit');
    try {
      assert.equal(code, 0);
      assert.equal(receiver.spans.length, 25);
      assert.ok(Date.now() - started < 5000, 'the process ends as soon as the spans are delivered');
    } finally {
      await receiver.close();
    }
  });

  it('ends within SIGHTLINE_SHUTDOWN_TIMEOUT when the collector never answers', async () => {
    const receiver = await startHttpReceiver(() => 'hang');
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'exit-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      SIGHTLINE_SHUTDOWN_TIMEOUT: '1000',
      APP_OWN_SIGTERM: '1',
    });
    try {
      await hit(app.port, '/items/1', 20, 4);
      const sent = Date.now();
      app.child.kill('SIGTERM');
      const { code } = await app.exited;
      assert.equal(code, 0);
      const took = Date.now() - sent;
      assert.ok(took < 4000, `exit took ${took} ms with a 1,000 ms shutdown timeout`);
      assert.match(app.stderr(), /SIGHTLINE_SHUTDOWN_TIMEOUT/);
    } finally {
      await receiver.close();
    }
  });

  it('does not wait out SIGHTLINE_SHUTDOWN_TIMEOUT when nothing listens at the collector’s address: it says what was lost and exits', async () => {
    // A port nothing listens on: every export is refused.
    const refused = `http://127.0.0.1:${await freePort()}`;
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'exit-refused',
      OTEL_EXPORTER_OTLP_ENDPOINT: refused,
      SIGHTLINE_SHUTDOWN_TIMEOUT: '60000',
      APP_OWN_SIGTERM: '1',
    });
    await hit(app.port, '/items/1', 20, 4);
    const sent = Date.now();
    app.child.kill('SIGTERM');
    const { code } = await app.exited;
    assert.equal(code, 0);
    // Far under the 60 s timeout: it gave up at the first refused connection.
    assert.ok(Date.now() - sent < 30_000, `exit took ${Date.now() - sent} ms`);
    assert.match(
      app.stderr(),
      /collector could not be reached as telemetry was flushed for the end \(127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
    assert.match(app.stderr(), /still unsent when export ended/, 'the lost spans are counted and said');
  });
});
