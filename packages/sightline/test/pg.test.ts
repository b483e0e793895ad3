// pg queries inside a traced request, against the real Postgres.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startApp } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';
import { POSTGRES_URL, requireService } from './support/services.js';

/** The pg fixture app, exporting to a receiver of its own. */
async function startPgApp() {
  const receiver = await startHttpReceiver();
  const app = await startApp('pg-app.mjs', {
    OTEL_SERVICE_NAME: 'pg-app',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
    DATABASE_URL: POSTGRES_URL,
  });
  return { receiver, app };
}

describe('pg', () => {
  it('makes one CLIENT span per query under the request’s server span, with the database conventions', async (t) => {
    if (!(await requireService(t, 'PostgreSQL', POSTGRES_URL))) return;
    const { receiver, app } = await startPgApp();
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/orders`)).text();
      const spans = await receiver.waitForSpans(7);
      const server = spans.find((s) => s.kind === 2)!;
      const queries = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql' && s.kind === 3);
      const connects = spans.filter((s) => s.name === 'pg-pool.connect');
      assert.equal(connects.length, 1, 'the pool query waits for a client inside a span of its own');
      assert.equal(connects[0]!.parentSpanId, server.spanId);
      assert.equal(connects[0]!.attributes['db.client.connection.pool.waited'], false);
      assert.equal(connects[0]!.attributes['db.client.connection.pool.max'], 2);
      assert.equal(queries.length, 4, `spans: ${spans.map((s) => s.name).join(', ')}`);
      for (const q of queries) {
        assert.equal(q.kind, 3);
        assert.equal(q.parentSpanId, server.spanId);
        assert.equal(q.traceId, server.traceId);
        assert.equal(q.attributes['server.address'], '127.0.0.1');
        assert.equal(q.attributes['server.port'], 5432);
        assert.equal(q.attributes['db.namespace'], new URL(POSTGRES_URL).pathname.slice(1));
        assert.equal(q.scope.name, '@sightline/instrumentation-pg');
      }
      const [parameterised, literal, callback, failed] = queries.sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
      assert.equal(
        parameterised!.attributes['db.query.text'],
        'SELECT $1::int AS id',
        'parameterised text without literals is kept as written',
      );
      assert.equal(parameterised!.name, 'SELECT');
      assert.equal(literal!.attributes['db.query.text'], 'SELECT ? AS email, ? AS n WHERE ? = ?');
      assert.ok(!JSON.stringify(literal!.attributes).includes('a@b.c'), 'the literal never leaves the process');
      assert.equal(callback!.attributes['db.query.text'], 'SELECT $1::text AS word');
      const inCallback = spans.find((s) => s.name === 'in-callback');
      assert.equal(inCallback?.parentSpanId, server.spanId, 'a query’s callback runs in the context the query was made in');
      assert.equal(inCallback?.attributes['app.store.url'], '/orders', 'and sees the app’s own AsyncLocalStorage as the request left it');
      assert.equal(failed!.name, 'SELECT no_such_table');
      assert.equal(failed!.attributes['db.collection.name'], 'no_such_table');
      assert.equal(failed!.attributes['db.operation.name'], 'SELECT');
      assert.equal(failed!.status.code, 2);
      assert.equal(failed!.attributes['error.type'], '42P01', 'the SQLSTATE code');
      assert.ok(failed!.events.some((e) => e.name === 'exception'));
      assert.equal(
        spans.filter((s) => s.attributes['db.query.text'] === 'SELECT ?').length,
        0,
        'a query outside any request is not traced',
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('a query that waited for a pooled client runs in its own request’s context, not in the one that released the client', async (t) => {
    if (!(await requireService(t, 'PostgreSQL', POSTGRES_URL))) return;
    // The default sampler follows the caller's flag: each request's traceparent decides whether it is sampled.
    const { receiver, app } = await startPgApp();
    const base = `http://127.0.0.1:${app.port}`;
    const traceparent = (traceId: string, flags: string) => ({ traceparent: `00-${traceId}-00f067aa0ba902b7-${flags}` });
    const waiter = 'b'.repeat(32);
    const releaser = 'c'.repeat(32);
    try {
      await (await fetch(`${base}/hold`, { headers: traceparent('a'.repeat(32), '01') })).text();
      // An unsampled request whose query waits for the held client.
      const waiting = fetch(`${base}/wait-for-client`, { headers: traceparent(waiter, '00') }).then((r) => r.text());
      while ((await (await fetch(`${base}/waiting`)).text()) !== '1') await new Promise((r) => setImmediate(r));
      // A sampled request releases the client; pg-pool hands it to the waiting query right there.
      await (await fetch(`${base}/release`, { headers: traceparent(releaser, '01') })).text();
      assert.equal(await waiting, 'done');
      // Everything recorded is delivered at SIGTERM, before the process ends.
      app.child.kill('SIGTERM');
      await app.exited;
      const inReleaser = receiver.spans.filter((s) => s.traceId === releaser).map((s) => s.name);
      assert.deepEqual(inReleaser, ['GET'], 'the releasing request’s trace holds its own server span only');
      const leaked = receiver.spans.filter(
        (s) => s.traceId === waiter || s.name === 'after-waiting' || s.attributes['db.query.text'] === 'SELECT $1::text AS waited',
      );
      assert.deepEqual(
        leaked.map((s) => s.name),
        [],
        'the unsampled request’s query and what followed it are recorded nowhere',
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
