// One correct SERVER span per request for node:http apps on Fastify, Express 4 and 5, and NestJS on
// Express and on Fastify: route names, stable attributes, statuses, exceptions, context that nests the
// handler's spans and its outbound fetch, the downstream service's span in the same trace, exclusion,
// and the Server-Timing entry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, startApp, type ChildApp } from './support/child-app.js';
import { startHttpReceiver, type ReceivedSpan, type Receiver } from './support/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;

const frameworks: Array<{ name: string; fixture: string; env?: Record<string, string> }> = [
  { name: 'Fastify 5', fixture: 'frameworks/fastify.cjs' },
  {
    name: 'Fastify 5, loaded before Sightline started',
    fixture: 'frameworks/fastify.cjs',
    env: { NODE_OPTIONS: `--require ${FIXTURES}frameworks/load-fastify-first.cjs` },
  },
  { name: 'Fastify 5 with its own error handler', fixture: 'frameworks/fastify-custom-errors.cjs' },
  { name: 'Express 4 (ES-module app)', fixture: 'frameworks/express4.mjs' },
  { name: 'Express 5', fixture: 'frameworks/express5/app.cjs' },
  { name: 'Express 5 with its own error middleware', fixture: 'frameworks/express5/custom-errors.cjs' },
  { name: 'Express 4 with its own error middleware', fixture: 'frameworks/express4-custom-errors.mjs' },
  { name: 'NestJS on Express', fixture: 'frameworks/nest.cjs', env: { NEST_PLATFORM: 'express' } },
  { name: 'NestJS on Fastify', fixture: 'frameworks/nest.cjs', env: { NEST_PLATFORM: 'fastify' } },
  { name: 'Hono on @hono/node-server (ES-module app)', fixture: 'frameworks/hono.mjs' },
];

for (const framework of frameworks) {
  describe(framework.name, () => {
    let receiver: Receiver;
    let downstream: ChildApp;
    let app: ChildApp;
    const responses = new Map<string, Response>();
    let spans: ReceivedSpan[];

    before(async () => {
      receiver = await startHttpReceiver();
      const common = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' };
      downstream = await startApp('frameworks/downstream.mjs', { ...common, OTEL_SERVICE_NAME: 'downstream' });
      app = await startApp(framework.fixture, {
        ...common,
        ...framework.env,
        OTEL_SERVICE_NAME: 'app',
        DOWNSTREAM: `http://127.0.0.1:${downstream.port}`,
        OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS: '^/healthz',
      });
      for (const path of ['/items/42', '/boom', '/nope', '/healthz']) {
        const res = await fetch(`http://127.0.0.1:${app.port}${path}`, { headers: { 'user-agent': 'sightline-test' } });
        await res.arrayBuffer();
        responses.set(path, res);
      }
      // items: server + manual + client + downstream server; boom; nope.
      spans = await receiver.waitForSpans(6);
      await new Promise((r) => setTimeout(r, 300));
      spans = receiver.spans;
    });

    after(async () => {
      app.child.kill('SIGKILL');
      downstream.child.kill('SIGKILL');
      await receiver.close();
    });

    const appServerSpans = (): ReceivedSpan[] => spans.filter((s) => s.kind === SERVER && s.resource['service.name'] === 'app');

    /** The server span of a request made after `before` collected its spans, once it has arrived. */
    async function serverSpanFor(path: string): Promise<ReceivedSpan> {
      const deadline = Date.now() + 10_000;
      let span: ReceivedSpan | undefined;
      while (!(span = receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path))) {
        if (Date.now() > deadline) throw new Error(`no span for ${path}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return span;
    }

    it('makes exactly one SERVER span per request, named by the route template', () => {
      const items = appServerSpans().filter((s) => s.attributes['url.path'] === '/items/42');
      assert.equal(
        items.length,
        1,
        `server spans: ${appServerSpans()
          .map((s) => s.name)
          .join(', ')}`,
      );
      const span = items[0]!;
      assert.equal(span.name, 'GET /items/:id');
      assert.equal(span.attributes['http.route'], '/items/:id');
      assert.equal(span.parentSpanId, '');
      assert.equal(span.scope.name, '@sightline/instrumentation-http');
    });

    it('records the stable HTTP attributes and leaves a 200 unset', () => {
      const span = appServerSpans().find((s) => s.attributes['url.path'] === '/items/42')!;
      assert.deepEqual(
        {
          method: span.attributes['http.request.method'],
          scheme: span.attributes['url.scheme'],
          status: span.attributes['http.response.status_code'],
          address: span.attributes['server.address'],
          port: span.attributes['server.port'],
          protocol: span.attributes['network.protocol.version'],
          client: span.attributes['client.address'],
          agent: span.attributes['user_agent.original'],
        },
        {
          method: 'GET',
          scheme: 'http',
          status: 200,
          address: '127.0.0.1',
          port: app.port,
          protocol: '1.1',
          client: '127.0.0.1',
          agent: 'sightline-test',
        },
      );
      assert.equal(span.attributes['url.query'], undefined);
      assert.equal(span.status.code, 0);
    });

    it('nests the handler’s manual span and its fetch under the server span, and the downstream server span under the fetch', () => {
      const server = appServerSpans().find((s) => s.attributes['url.path'] === '/items/42')!;
      const manual = spans.find((s) => s.name === 'load item')!;
      const client = spans.find((s) => s.kind === CLIENT && s.resource['service.name'] === 'app')!;
      const downstreamServer = spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'downstream')!;
      assert.ok(manual && client && downstreamServer, spans.map((s) => `${s.resource['service.name']}:${s.name}`).join(', '));
      assert.equal(manual.parentSpanId, server.spanId);
      assert.equal(client.parentSpanId, server.spanId);
      assert.equal(client.name, 'GET');
      assert.equal(client.attributes['url.full'], `http://127.0.0.1:${downstream.port}/price`);
      assert.equal(client.attributes['http.response.status_code'], 200);
      assert.equal(downstreamServer.parentSpanId, client.spanId);
      assert.equal(downstreamServer.flags & 0x200, 0x200, 'the downstream span knows its parent is remote');
      for (const s of [manual, client, downstreamServer]) assert.equal(s.traceId, server.traceId);
    });

    it('marks a handler that throws as ERROR with an exception event', () => {
      const span = appServerSpans().find((s) => s.attributes['url.path'] === '/boom')!;
      assert.equal(span.name, 'GET /boom');
      assert.equal(span.attributes['http.response.status_code'], 500);
      assert.equal(span.attributes['error.type'], '500');
      assert.equal(span.status.code, 2);
      assert.equal(span.status.message, 'boom');
      const exception = span.events.find((e) => e.name === 'exception');
      assert.ok(exception, `events: ${JSON.stringify(span.events.map((e) => e.name))}`);
      assert.equal(exception.attributes['exception.message'], 'boom');
    });

    if (framework.fixture.includes('custom-errors')) {
      it('records an error the app answers with a 4xx as an exception event, and leaves the status unset', async () => {
        const res = await fetch(`http://127.0.0.1:${app.port}/bad-input`);
        assert.equal(res.status, 400);
        const span = await serverSpanFor('/bad-input');
        assert.equal(span.attributes['http.response.status_code'], 400);
        assert.equal(span.status.code, 0);
        assert.equal(span.events.filter((e) => e.name === 'exception').length, 1);
        assert.equal(span.events[0]!.attributes['exception.message'], 'quantity must be positive');
      });
    }

    if (framework.fixture === 'frameworks/fastify.cjs') {
      // Fastify's handler channel costs every request a store object and more once subscribed; its
      // hooks cost nothing per request. The channel is only for instances that may predate Sightline.
      const loadedFirst = framework.env?.NODE_OPTIONS !== undefined;
      it(
        loadedFirst ? 'takes the route from the handler channel' : 'takes the route from hooks, leaving the handler channel unsubscribed',
        () => {
          const line = app
            .stdout()
            .split('\n')
            .find((l) => l.includes('handlerChannel'))!;
          const ready = JSON.parse(line) as { handlerChannel: boolean };
          assert.equal(ready.handlerChannel, loadedFirst);
        },
      );

      if (!loadedFirst) {
        it('names a request that failed validation by its route, with the validation error as its exception event', async () => {
          const res = await fetch(`http://127.0.0.1:${app.port}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          assert.equal(res.status, 400);
          const span = await serverSpanFor('/orders');
          assert.equal(span.name, 'POST /orders');
          assert.equal(span.attributes['http.route'], '/orders');
          assert.equal(span.status.code, 0);
          const exceptions = span.events.filter((e) => e.name === 'exception');
          assert.equal(exceptions.length, 1);
          assert.match(String(exceptions[0]!.attributes['exception.message']), /quantity/);
        });
      }
    }

    it('leaves a 404 unset and names it by the method alone', () => {
      const span = appServerSpans().find((s) => s.attributes['url.path'] === '/nope')!;
      assert.equal(span.name, 'GET');
      assert.equal(span.attributes['http.route'], undefined);
      assert.equal(span.attributes['http.response.status_code'], 404);
      assert.equal(span.status.code, 0);
    });

    it('makes no span for an excluded URL', () => {
      assert.equal(responses.get('/healthz')!.status, 200);
      assert.equal(spans.filter((s) => s.attributes['url.path'] === '/healthz').length, 0);
      assert.equal(responses.get('/healthz')!.headers.get('server-timing'), null);
    });

    it('names the server span in the Server-Timing header of every traced response', () => {
      for (const path of ['/items/42', '/boom', '/nope']) {
        const span = appServerSpans().find((s) => s.attributes['url.path'] === path)!;
        assert.equal(responses.get(path)!.headers.get('server-timing'), `trace;desc=00-${span.traceId}-${span.spanId}-03`, path);
      }
    });
  });
}
