// init() and the zero-code entry: options, a second init, OTEL_SDK_DISABLED, and contrib instrumentations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURES, runToExit } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

describe('lifecycle', () => {
  it('init() in code: options win, a second call warns and changes nothing, shutdown() flushes and stops', async () => {
    const receiver = await startHttpReceiver();
    try {
      const result = await runToExit([FIXTURES + 'explicit-init.mjs'], { RECEIVER: receiver.url, OTEL_SERVICE_NAME: 'from-env' });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /init\(\) was called again; Sightline is already running \(started by sightline\/register, sightline run or an earlier init\(\)\) and keeps its first configuration/,
      );
      assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['op 0', 'op 1', 'op 2']);
      assert.equal(receiver.spans[0]!.resource['service.name'], 'explicit');
      const stats = JSON.parse(result.stdout.trim());
      assert.equal(stats.spansExported, 3);
      assert.equal(stats.spansEnded, 3, 'a span ended after shutdown is not taken');
    } finally {
      await receiver.close();
    }
  });

  it('--import and a later init() in code: the second is a no-op with a warning', async () => {
    const result = await runToExit(
      ['--import', 'sightline/register', '--input-type=module', '-e', "import { init } from 'sightline'; init();"],
      {
        OTEL_SERVICE_NAME: 'x',
        OTEL_TRACES_EXPORTER: 'none',
      },
    );
    assert.equal(result.code, 0);
    assert.equal((result.stderr.match(/init\(\) was called again/g) ?? []).length, 1);
  });

  it('OTEL_SDK_DISABLED=true makes everything a no-op', async () => {
    const receiver = await startHttpReceiver();
    try {
      const result = await runToExit(
        [
          '--require',
          'sightline/register',
          '-e',
          "const { trace } = require('@opentelemetry/api'); const s = trace.getTracer('t').startSpan('s'); console.log(s.isRecording()); s.end(); console.log(JSON.stringify(require('sightline').getStats() ?? null));",
        ],
        { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'x' },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split('\n'), ['false', 'null']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.requests.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it('an unmodified OpenTelemetry contrib instrumentation (instrumentation-dns) records into Sightline', async () => {
    const receiver = await startHttpReceiver();
    try {
      const result = await runToExit(['--require', 'sightline/register', FIXTURES + 'contrib-dns.cjs'], {
        OTEL_SERVICE_NAME: 'contrib',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      assert.equal(result.code, 0, result.stderr);
      const spans = await receiver.waitForSpans(2);
      const parent = spans.find((s) => s.name === 'parent')!;
      const lookup = spans.find((s) => s.scope.name === '@opentelemetry/instrumentation-dns');
      assert.ok(lookup, `spans: ${spans.map((s) => `${s.scope.name}:${s.name}`).join(', ')}`);
      assert.equal(lookup.name, 'dns.lookup');
      assert.equal(lookup.kind, 3, 'CLIENT');
      assert.equal(lookup.traceId, parent.traceId);
      assert.equal(lookup.parentSpanId, parent.spanId);
    } finally {
      await receiver.close();
    }
  });

  it('a bad setting never stops the app: it warns and runs with the fallback', async () => {
    const result = await runToExit(['--import', 'sightline/register', '-e', 'console.log("app ran")'], {
      OTEL_SERVICE_NAME: 'x',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_BSP_MAX_QUEUE_SIZE: 'lots',
      OTEL_EXPORTER_OTLP_ENDPOINT: '::not a url::',
    });
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), 'app ran');
    assert.match(result.stderr, /OTEL_BSP_MAX_QUEUE_SIZE="lots" is not an integer; using 2048/);
    assert.match(result.stderr, /OTEL_EXPORTER_OTLP_ENDPOINT="::not a url::" is not a valid URL; using http:\/\/localhost:4318\n/);
  });
});
