// The HTTP instrumentation's edge cases, against a real node:http app in its own process.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { FIXTURES, startApp, type ChildApp } from './support/child-app.js';
import { startHttpReceiver, type ReceivedSpan, type Receiver } from './support/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;

async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(receiver: Receiver, predicate: (spans: ReceivedSpan[]) => boolean, what: string): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 10_000;
  while (!predicate(receiver.spans)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; have ${receiver.spans.map((s) => `${s.resource['service.name']}:${s.name}:${s.attributes['url.path'] ?? s.attributes['url.full']}`).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return receiver.spans;
}

describe('HTTP instrumentation behaviours', () => {
  let receiver: Receiver;
  let downstream: ChildApp;
  let app: ChildApp;
  let base: string;

  before(async () => {
    receiver = await startHttpReceiver();
    const common = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' };
    downstream = await startApp('frameworks/downstream.mjs', { ...common, OTEL_SERVICE_NAME: 'downstream' });
    app = await startApp('http-behaviours.mjs', {
      ...common,
      OTEL_SERVICE_NAME: 'app',
      DOWNSTREAM: `http://127.0.0.1:${downstream.port}`,
      REFUSED: `http://127.0.0.1:${await closedPort()}/nothing`,
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'x-req,Authorization,cookie',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'x-resp,set-cookie',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST: 'x-client-sent',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'content-type',
    });
    base = `http://127.0.0.1:${app.port}`;
  });

  after(async () => {
    app.child.kill('SIGKILL');
    downstream.child.kill('SIGKILL');
    await receiver.close();
  });

  it('captures listed headers as string arrays and redacts credentials even when listed', async () => {
    await (await fetch(`${base}/headers?x=1`, { headers: { 'x-req': 'hello', authorization: 'Bearer secret', cookie: 'a=b' } })).text();
    const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === '/headers'), '/headers');
    const span = spans.find((x) => x.attributes['url.path'] === '/headers')!;
    assert.deepEqual(span.attributes['http.request.header.x-req'], ['hello']);
    assert.deepEqual(span.attributes['http.request.header.authorization'], ['REDACTED']);
    assert.deepEqual(span.attributes['http.request.header.cookie'], ['REDACTED']);
    assert.deepEqual(span.attributes['http.response.header.x-resp'], ['r']);
    assert.deepEqual(span.attributes['http.response.header.set-cookie'], ['REDACTED']);
    assert.equal(span.attributes['url.query'], 'x=1');
    assert.ok(!JSON.stringify(span, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('secret'));
  });

  it('adds its Server-Timing entry before the app’s own, whether set by setHeader or writeHead', async () => {
    for (const [path, own] of [
      ['/timing', 'db;dur=53'],
      ['/timing-in-writehead', 'cache;desc=hit'],
    ] as const) {
      const res = await fetch(base + path);
      await res.text();
      const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === path), path);
      const span = spans.find((x) => x.attributes['url.path'] === path)!;
      assert.equal(res.headers.get('server-timing'), `trace;desc=00-${span.traceId}-${span.spanId}-03, ${own}`);
    }
  });

  it('adds its entry as a field line of its own to a head flushed before the body, and leaves the body whole', async () => {
    const { rawHeaders, body } = await new Promise<{ rawHeaders: string[]; body: string }>((resolve, reject) => {
      http
        .get(`${base}/flushed-early`, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ rawHeaders: res.rawHeaders, body: text }));
        })
        .on('error', reject);
    });
    assert.equal(body, 'first second');
    const timing: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'server-timing') timing.push(rawHeaders[i + 1]!);
    const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === '/flushed-early'), '/flushed-early');
    const span = spans.find((x) => x.attributes['url.path'] === '/flushed-early')!;
    assert.deepEqual(timing, [`trace;desc=00-${span.traceId}-${span.spanId}-03`, 'db;dur=7']);
  });

  it('adds its entry to a copy of a headers object the app passes to every response, never to the app’s own', async () => {
    // Written into, the object would grow an entry per response; the list is frozen, so a write would throw.
    for (const [path, expected] of [
      ['/shared-headers', (tp: string) => `trace;desc=${tp}, app;dur=1`],
      ['/shared-list', (tp: string) => `trace;desc=${tp}, app;dur=2`],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(base + path);
        await res.text();
        const traceparent = /^trace;desc=([^,\s]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? '';
        assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/, path);
        assert.equal(res.headers.get('server-timing'), expected(traceparent), `${path}: one entry, the app's kept`);
      }
    }
  });

  it('continues an incoming trace, and propagates an unsampled one without recording it', async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    await (
      await fetch(`${base}/continue`, { headers: { traceparent: `00-${traceId}-1111111111111111-01`, tracestate: 'vendor=x' } })
    ).text();
    const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === '/continue'), '/continue');
    const span = spans.find((x) => x.attributes['url.path'] === '/continue')!;
    assert.equal(span.traceId, traceId);
    assert.equal(span.parentSpanId, '1111111111111111');
    assert.equal(span.traceState, 'vendor=x');
    assert.equal(span.flags & 0xff, 0x01, 'the caller did not set the random flag, so neither does Sightline');

    const unsampledTrace = 'f1b2c3d4e5f60718293a4b5c6d7e8f90';
    const res = await fetch(`${base}/call-fetch`, { headers: { traceparent: `00-${unsampledTrace}-2222222222222222-00` } });
    const { traceparent } = (await res.json()) as { traceparent: string };
    assert.match(traceparent, new RegExp(`^00-${unsampledTrace}-[0-9a-f]{16}-00$`));
    assert.ok(!traceparent.includes('2222222222222222'), 'a new parent id even when not sampled');
    assert.equal(res.headers.get('server-timing'), null);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.spans.filter((s) => s.traceId === unsampledTrace).length, 0);
  });

  it('makes CLIENT spans for node:http requests, injecting the context', async () => {
    await (await fetch(`${base}/call-http`)).text();
    // The app's and the downstream's batches may arrive in any order: wait for all three spans.
    const spans = await until(
      receiver,
      (s) => {
        const traceId = s.find((y) => y.attributes['url.path'] === '/call-http')?.traceId;
        return (
          traceId !== undefined &&
          s.some((x) => x.kind === CLIENT && x.traceId === traceId) &&
          s.some((x) => x.kind === SERVER && x.resource['service.name'] === 'downstream' && x.traceId === traceId)
        );
      },
      'the /call-http server, client and downstream spans',
    );
    const server = spans.find((x) => x.attributes['url.path'] === '/call-http')!;
    const client = spans.find((x) => x.kind === CLIENT && x.traceId === server.traceId)!;
    const remote = spans.find((x) => x.kind === SERVER && x.resource['service.name'] === 'downstream' && x.traceId === server.traceId)!;
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(client.scope.name, '@sightline/instrumentation-http');
    assert.equal(client.attributes['url.full'], `http://127.0.0.1:${downstream.port}/price`);
    assert.equal(client.attributes['server.port'], downstream.port);
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.deepEqual(client.attributes['http.request.header.x-client-sent'], ['c']);
    assert.deepEqual(client.attributes['http.response.header.content-type'], ['application/json']);
    assert.equal(remote.parentSpanId, client.spanId);
  });

  it('records refused connections on fetch and node:http CLIENT spans as errors', async () => {
    const res = await fetch(`${base}/call-refused`);
    assert.equal(await res.text(), 'fetch,http');
    const spans = await until(
      receiver,
      (s) => s.filter((x) => x.kind === CLIENT && x.status.code === 2).length >= 2,
      'two failed client spans',
    );
    const failed = spans.filter((x) => x.kind === CLIENT && x.status.code === 2);
    assert.deepEqual(failed.map((x) => x.scope.name).sort(), ['@sightline/instrumentation-http', '@sightline/instrumentation-undici']);
    for (const span of failed) {
      assert.ok(span.attributes['error.type'], 'error.type is set');
      assert.ok(span.events.some((e) => e.name === 'exception'));
    }
  });

  it('ends the span of a request the client abandons, with error.type', async () => {
    const socket = net.connect(app.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === '/slow'), 'the aborted /slow span');
    const span = spans.find((x) => x.attributes['url.path'] === '/slow')!;
    assert.equal(span.attributes['error.type'], 'aborted');
    assert.equal(span.status.code, 2);
    assert.equal(span.attributes['http.response.status_code'], undefined);
  });

  it('ends the spans of pipelined requests the client abandons, each once', async () => {
    const socket = net.connect(app.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    // The second request arrives while the first response is still pending on the connection.
    socket.write('GET /slow?n=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /slow?n=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    const pipelined = (s: typeof receiver.spans) =>
      s.filter((x) => x.attributes['url.path'] === '/slow' && /^n=[12]$/.test(String(x.attributes['url.query'])));
    const spans = pipelined(await until(receiver, (s) => pipelined(s).length >= 2, 'both aborted pipelined /slow spans'));
    assert.deepEqual(spans.map((x) => x.attributes['url.query']).sort(), ['n=1', 'n=2']);
    for (const span of spans) {
      assert.equal(span.attributes['error.type'], 'aborted');
      assert.equal(span.status.code, 2);
    }
  });

  it('never traces the exporter’s own requests', () => {
    assert.equal(
      receiver.spans.filter(
        (s) => String(s.attributes['url.full'] ?? '').includes('/v1/traces') || s.attributes['url.path'] === '/v1/traces',
      ).length,
      0,
    );
  });

  it('names unknown methods _OTHER and keeps the original', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(app.port, '127.0.0.1', () =>
        socket.write('PURGE /cache HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      socket.on('data', () => {});
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const spans = await until(receiver, (s) => s.some((x) => x.attributes['url.path'] === '/cache'), '/cache');
    const span = spans.find((x) => x.attributes['url.path'] === '/cache')!;
    assert.equal(span.attributes['http.request.method'], '_OTHER');
    assert.equal(span.attributes['http.request.method_original'], 'PURGE');
    assert.equal(span.name, 'HTTP');
  });
});

describe('switching instrumentations by name', () => {
  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=http,undici leaves requests untraced; OTEL_NODE_ENABLED_INSTRUMENTATIONS=undici traces only fetch', async () => {
    const receiver = await startHttpReceiver();
    const downstream = await startApp('frameworks/downstream.mjs', {
      OTEL_SERVICE_NAME: 'downstream',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,undici',
    });
    const app = await startApp('http-behaviours.mjs', {
      OTEL_SERVICE_NAME: 'app',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'undici',
      DOWNSTREAM: `http://127.0.0.1:${downstream.port}`,
    });
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/call-fetch`)).text();
      const spans = await receiver.waitForSpans(1);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(
        receiver.spans.map((s) => `${s.resource['service.name']}:${s.kind}`),
        ['app:3'],
        'only the fetch CLIENT span',
      );
      assert.equal(spans[0]!.scope.name, '@sightline/instrumentation-undici');
    } finally {
      app.child.kill('SIGKILL');
      downstream.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});

// Node caches a socket's peer address in a property added on first read. Read only when a sampled request
// wants it, that property lands at a different point in each socket's life, Node's sockets take several
// hidden classes, and every property read in Node's socket and stream code turns megamorphic.
describe('HTTP server sockets', () => {
  /** Sends each request on one connection, waiting for each response before the next. */
  async function sequential(port: number, requests: string[]): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    for (let i = 0; i < requests.length; i++) {
      socket.write(requests[i]!);
      while ((received.match(/\r\n\r\nok/g) ?? []).length <= i) await once(socket, 'data');
    }
    socket.destroy();
  }

  /** The socket fixture under Sightline, exporting to a receiver of its own. */
  async function startSocketApp(env: Record<string, string>): Promise<{ receiver: Receiver; child: ChildProcess; port: number }> {
    const receiver = await startHttpReceiver();
    const child = spawn(process.execPath, ['--allow-natives-syntax', '--import', 'sightline/register', FIXTURES + 'socket-shape.mjs'], {
      cwd: FIXTURES,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'app',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_METRICS_EXPORTER: 'none',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    while (!/\{"port":\d+\}/.test(out)) await once(child.stdout!, 'data');
    return { receiver, child, port: Number(/\{"port":(\d+)\}/.exec(out)![1]) };
  }

  it('keep one hidden class whichever of their requests is sampled first', async () => {
    const { receiver, child, port } = await startSocketApp({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    try {
      // The parent's sampled flag decides: connection A's second request is sampled, B's first.
      const request = (connection: string, sampled: boolean): string =>
        `GET /${connection} HTTP/1.1\r\nHost: x\r\nx-connection: ${connection}\r\n` +
        `traceparent: 00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-${sampled ? '01' : '00'}\r\n\r\n`;
      await sequential(port, [request('A', false), request('A', true), request('A', false)]);
      await sequential(port, [request('B', true), request('B', false), request('B', false)]);
      await sequential(port, [request('C', false), request('C', false), request('C', false)]);
      const report = (await (await fetch(`http://127.0.0.1:${port}/report`)).json()) as { sockets: number; sameMap: boolean };
      assert.equal(report.sockets, 3);
      assert.equal(report.sameMap, true, 'every connection socket has the same hidden class');
      await receiver.waitForSpans(2);
    } finally {
      child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('give each request’s span its connection’s attributes, made again when the Host or protocol version changes', async () => {
    const { receiver, child, port } = await startSocketApp({});
    try {
      const request = (n: number, host: string, agent: string, version = '1.1'): string =>
        `GET /r${n} HTTP/${version}\r\nHost: ${host}\r\nUser-Agent: ${agent}\r\nConnection: keep-alive\r\nx-connection: D\r\n\r\n`;
      await sequential(port, [
        request(1, 'one.example:8080', 'agent-1'),
        request(2, 'one.example:8080', 'agent-2'),
        request(3, 'two.example', 'agent-2'),
        request(4, 'one.example:8080', 'agent-1'),
        // Node answers HTTP/1.0 with `Connection: close`, so it comes last.
        request(5, 'one.example:8080', 'agent-1', '1.0'),
      ]);
      const spans = await receiver.waitForSpans(5);
      const seen = Object.fromEntries(
        spans.map((span) => [
          span.attributes['url.path'],
          ['server.address', 'server.port', 'network.protocol.version', 'user_agent.original', 'url.scheme', 'client.address'].map(
            (key) => span.attributes[key],
          ),
        ]),
      );
      assert.deepEqual(seen, {
        '/r1': ['one.example', 8080, '1.1', 'agent-1', 'http', '127.0.0.1'],
        '/r2': ['one.example', 8080, '1.1', 'agent-2', 'http', '127.0.0.1'],
        '/r3': ['two.example', 80, '1.1', 'agent-2', 'http', '127.0.0.1'],
        '/r4': ['one.example', 8080, '1.1', 'agent-1', 'http', '127.0.0.1'],
        '/r5': ['one.example', 8080, '1.0', 'agent-1', 'http', '127.0.0.1'],
      });
    } finally {
      child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
