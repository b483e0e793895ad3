// A slow, dead or failing collector never slows requests and never grows memory without bound;
// once it recovers, what was queued arrives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hit, startApp } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

async function stats(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return (await res.json()) as Record<string, number>;
}

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

describe('collector failures', () => {
  it('keeps serving at normal latency, with a bounded queue, when the collector never answers', async () => {
    const receiver = await startHttpReceiver(() => 'hang');
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'dead-collector',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_MAX_QUEUE_SIZE: '256',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      SIGHTLINE_SHUTDOWN_TIMEOUT: '200',
    });
    try {
      const latencies = await hit(app.port, '/items/1', 6000, 16);
      const s = await stats(app.port);
      // Requests never wait for the exporter: the worst one is far below the 10 s export timeout.
      assert.ok(Math.max(...latencies) < 1000, `slowest request took ${Math.max(...latencies).toFixed(1)} ms`);
      assert.ok(s.spansQueued! <= 256, `in-process queue holds ${s.spansQueued}`);
      // At most one queue's worth waits in the process and one in the export worker: the rest is dropped and counted.
      const held = s.spansEnded! - s.spansDroppedQueueFull! - s.spansDroppedBacklog! - s.spansExported!;
      assert.ok(held <= 2 * 256 + 64, `${held} spans held in memory`);
      assert.ok(s.spansDroppedQueueFull! + s.spansDroppedBacklog! >= 6000 - (2 * 256 + 64), 'drops are counted');
      assert.equal(s.spansExported, 0);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('delivers the queued spans after a collector that answered 503 for ten seconds recovers', async () => {
    const outageEnds = Date.now() + 10_000;
    let refused = 0;
    const receiver = await startHttpReceiver(() => {
      if (Date.now() < outageEnds) {
        refused++;
        return { status: 503, body: 'restarting' };
      }
      return undefined;
    });
    const app = await startApp('app.mjs', { OTEL_SERVICE_NAME: 'flaky-collector', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      const latencies: number[] = [];
      // Traffic throughout the outage, a burst every half second.
      while (Date.now() < outageEnds - 500) {
        latencies.push(...(await hit(app.port, '/items/1', 50, 5)));
        await new Promise((r) => setTimeout(r, 500));
      }
      const sent = latencies.length;
      assert.ok(refused > 0, 'the collector did refuse exports during the outage');
      assert.equal(receiver.spans.length, 0);
      assert.ok(percentile(latencies, 0.99) < 250, `p99 ${percentile(latencies, 0.99).toFixed(1)} ms during the outage`);
      await receiver.waitForSpans(sent, 20_000);
      assert.equal(receiver.spans.length, sent);
      const s = await stats(app.port);
      assert.ok(s.failedExportRequests! > 0);
      assert.equal(s.spansDroppedQueueFull! + s.spansDroppedBacklog! + s.spansFailed!, 0);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('does not retry a batch the collector refuses as bad data (400)', async () => {
    let calls = 0;
    const receiver = await startHttpReceiver(() => {
      calls++;
      return { status: 400, headers: { 'content-type': 'application/json' }, body: '{"code":3,"message":"bad span"}' };
    });
    const app = await startApp('app.mjs', { OTEL_SERVICE_NAME: 'bad-data', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10' });
    try {
      await hit(app.port, '/items/1', 10, 1);
      const deadline = Date.now() + 5000;
      let s = await stats(app.port);
      while (s.spansFailed! < 10 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        s = await stats(app.port);
      }
      assert.equal(s.spansFailed, 10);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(calls, 1, 'one attempt, no retry');
      assert.match(String((await stats(app.port)).lastExportError), /HTTP 400: bad span/);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
