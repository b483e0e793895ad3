// A slow, dead or failing collector never slows requests, never grows memory without bound, and
// never makes spans vanish: what cannot be delivered is counted, and once the collector recovers
// what was queued arrives. Default settings unless a test says otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hit, startApp, type ChildApp } from './support/child-app.js';
import { decodeProtobuf, duplicateSpanIds, startHttpReceiver } from './support/otlp-receiver.js';

type Stats = Record<string, number> & { lastExportError?: string };

async function stats(port: number): Promise<Stats> {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return (await res.json()) as Stats;
}

/** Every span ended is exactly one of these (the accounting identity getStats() promises). */
function accountedFor(s: Stats): number {
  return (
    s.spansExported! +
    s.spansRejected! +
    s.spansFailed! +
    s.spansDroppedQueueFull! +
    s.spansDroppedBacklog! +
    s.spansAbandoned! +
    s.spansQueued! +
    s.spansInExport!
  );
}

const percentile = (values: number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The app's own defaults, not the test helper's short schedule delay. */
const DEFAULTS = { OTEL_BSP_SCHEDULE_DELAY: '' };

/** Asks the app for 100 spans every 100 ms (1,000 spans/s) until `until`; returns the spans asked for and the peak RSS seen. */
async function steadyLoad(app: ChildApp, until: number): Promise<{ spans: number; peakRss: number; latencies: number[] }> {
  let spans = 0;
  let peakRss = 0;
  const latencies: number[] = [];
  let next = Date.now();
  while (Date.now() < until) {
    latencies.push(...(await hit(app.port, '/spans?n=100', 1, 1)));
    spans += 100;
    if (spans % 2000 === 0) peakRss = Math.max(peakRss, (await stats(app.port)).rss!);
    next += 100;
    await sleep(Math.max(0, next - Date.now()));
  }
  return { spans, peakRss, latencies };
}

describe('collector failures', () => {
  it('keeps serving at normal latency when the collector never answers, within the byte bound, and accounts for every span, also at a deadline-bound exit', async () => {
    const receiver = await startHttpReceiver(() => 'hang');
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'dead-collector',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: '256KiB',
      SIGHTLINE_SHUTDOWN_TIMEOUT: '300',
      APP_OWN_SIGTERM: '1',
      APP_PRINT_STATS_AT_EXIT: '1',
    });
    try {
      const latencies = await hit(app.port, '/items/1', 6000, 16);
      // Requests never wait for the exporter: the worst one is far below the 10 s export timeout.
      assert.ok(Math.max(...latencies) < 1000, `slowest request took ${Math.max(...latencies).toFixed(1)} ms`);
      const s = await stats(app.port);
      assert.ok(s.exportQueueBytes! <= 256 * 1024, `${s.exportQueueBytes} bytes wait in the export worker`);
      assert.ok(s.spansDroppedBacklog! > 0, 'beyond the bound the oldest batches are dropped, and counted');
      assert.equal(s.spansExported, 0);
      assert.equal(accountedFor(s), s.spansEnded, `every span ended is accounted for: ${JSON.stringify(s)}`);

      app.child.kill('SIGTERM');
      const exit = await app.exited;
      assert.equal(exit.code, 0);
      const final = JSON.parse(/\{"finalStats".*\}/.exec(app.stdout())![0]).finalStats as Stats;
      assert.equal(final.spansEnded, s.spansEnded! + 0, 'no span ended after the load');
      assert.equal(final.spansQueued! + final.spansInExport!, 0, 'nothing is left pending once the process ends');
      assert.ok(final.spansAbandoned! > 0, 'what the hung collector never took is counted as abandoned');
      assert.equal(accountedFor(final), final.spansEnded, `every span ended is accounted for at exit: ${JSON.stringify(final)}`);
      assert.match(
        app.stderr(),
        new RegExp(
          `still unsent when export ended \\(SIGHTLINE_SHUTDOWN_TIMEOUT passed, or the collector unreachable\\): ${final.spansAbandoned}`,
        ),
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('loses nothing of a 4,000-span burst over http/json with gzip to a collector that takes 20 ms per request', async () => {
    const receiver = await startHttpReceiver(undefined, { delayMillis: 20 });
    const app = await startApp('app.mjs', {
      ...DEFAULTS,
      OTEL_SERVICE_NAME: 'burst',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    try {
      // 2,000 requests of two spans each, 20 connections at a time.
      await hit(app.port, '/spans?n=2', 2000, 20);
      await receiver.waitForSpans(4000, 30_000);
      assert.equal(receiver.spans.length, 4000);
      assert.deepEqual(duplicateSpanIds(receiver.spans), []);
      assert.ok(receiver.requests.every((r) => r.contentType === 'application/json' && r.contentEncoding === 'gzip'));
      const s = await stats(app.port);
      assert.deepEqual(
        [s.spansEnded, s.spansExported, s.spansDroppedBacklog, s.spansDroppedQueueFull, s.spansFailed],
        [4000, 4000, 0, 0, 0],
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  for (const outage of ['answers 503', 'refuses connections'] as const) {
    it(`delivers every span after a collector that ${outage} for 30 s while the app ends 1,000 spans/s, with bounded memory`, async (t) => {
      let down = false;
      const receiver = await startHttpReceiver(() => (down && outage === 'answers 503' ? { status: 503, body: 'restarting' } : undefined));
      const app = await startApp('app.mjs', { ...DEFAULTS, OTEL_SERVICE_NAME: 'outage', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      try {
        const before = await steadyLoad(app, Date.now() + 2000);
        await receiver.waitForSpans(before.spans, 15_000);
        const rssBefore = (await stats(app.port)).rss!;

        down = true;
        if (outage === 'refuses connections') await receiver.pause();
        const during = await steadyLoad(app, Date.now() + 30_000);
        const atEnd = await stats(app.port);
        assert.equal(receiver.spans.length, before.spans, 'nothing got through during the outage');
        assert.ok(atEnd.failedExportRequests! > 0, 'the exporter did try');
        down = false;
        if (outage === 'refuses connections') await receiver.resume();

        const total = before.spans + during.spans;
        await receiver.waitForSpans(total, 60_000);
        assert.equal(receiver.spans.length, total);
        assert.deepEqual(duplicateSpanIds(receiver.spans), []);
        const s = await stats(app.port);
        assert.equal(s.spansDroppedQueueFull! + s.spansDroppedBacklog! + s.spansFailed!, 0, JSON.stringify(s));
        const growth = Math.max(during.peakRss, atEnd.rss!) - rssBefore;
        t.diagnostic(
          `${during.spans} spans during the outage; RSS ${(rssBefore / 2 ** 20).toFixed(1)} MiB before, peak growth ${(growth / 2 ** 20).toFixed(1)} MiB; export queue at the end of the outage ${(atEnd.exportQueueBytes! / 2 ** 20).toFixed(1)} MiB; p99 latency ${percentile(during.latencies, 0.99).toFixed(1)} ms`,
        );
        // The queued spans themselves are a few MiB; the bound is the default 64 MiB of encoded batches.
        assert.ok(atEnd.exportQueueBytes! < 64 * 2 ** 20);
        assert.ok(growth < 96 * 2 ** 20, `RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`);
      } finally {
        app.child.kill('SIGKILL');
        await receiver.close();
      }
    });
  }

  it('does not retry a batch the collector refuses as bad data (400)', async () => {
    const bodies: string[] = [];
    let spansRefused = 0;
    const receiver = await startHttpReceiver((_req, body) => {
      bodies.push(body.toString('base64'));
      spansRefused += decodeProtobuf(body).length;
      return { status: 400, headers: { 'content-type': 'application/json' }, body: '{"code":3,"message":"bad span"}' };
    });
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'bad-data',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
    });
    try {
      await hit(app.port, '/items/1', 10, 1);
      let s = await stats(app.port);
      // The count is shared memory, the reason a message from the export worker: wait for both.
      while (s.spansFailed! < 10 || s.lastExportError === undefined) {
        await sleep(50);
        s = await stats(app.port);
      }
      // However the ten spans were batched, each batch was sent once: no body arrived twice.
      assert.equal(spansRefused, 10);
      assert.equal(new Set(bodies).size, bodies.length, 'one attempt per batch, no retry');
      assert.equal(s.exportRequests, bodies.length);
      assert.match(String(s.lastExportError), /HTTP 400: bad span/);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('truncates a 50 MB attribute to the default length limit, so the batch and its other spans arrive', async () => {
    const receiver = await startHttpReceiver();
    const app = await startApp('app.mjs', { OTEL_SERVICE_NAME: 'huge', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      await hit(app.port, '/huge', 1, 1);
      await receiver.waitForSpans(3);
      assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ['after huge', 'before huge', 'huge']);
      assert.equal(String(receiver.spans.find((s) => s.name === 'huge')!.attributes['huge.value']).length, 16384);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('with the length limit lifted, a span too large for the collector costs only itself', async () => {
    // A collector with a 4 MiB request limit (the Collector's gRPC default); the limit lifted by variable.
    const receiver = await startHttpReceiver(undefined, { maxBodyBytes: 4 * 2 ** 20 });
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'huge',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100000000',
    });
    try {
      await hit(app.port, '/huge', 1, 1);
      await receiver.waitForSpans(2);
      let s = await stats(app.port);
      // The count is shared memory, the reason a message from the export worker: wait for both.
      while (s.spansFailed! < 1 || s.lastExportError === undefined) {
        await sleep(50);
        s = await stats(app.port);
      }
      assert.deepEqual(receiver.spans.map((x) => x.name).sort(), ['after huge', 'before huge']);
      assert.deepEqual([s.spansExported, s.spansFailed], [2, 1]);
      assert.match(String(s.lastExportError), /HTTP 413.*single item larger than the collector accepts/);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
