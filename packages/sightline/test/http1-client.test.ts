// The raw HTTP/1.1 client the exporter uses for http: endpoints, against scripted servers: each test
// decides the bytes the collector answers with, including the awkward ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OtlpConfig } from '../src/export/otlp-config.js';
import { Http1Client } from '../src/export/worker/http1-client.js';
import { HttpTransport } from '../src/export/worker/http-transport.js';

/** A TCP server that reads each request whole (by content-length) and answers with `answer(n)` for the n-th. */
async function scripted(
  answer: (n: number, socket: net.Socket) => string | undefined,
): Promise<{ url: URL; requests: string[]; connections: () => number; close: () => Promise<void> }> {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        requests.push(head + '\r\n\r\n' + buf.toString('latin1', end + 4, end + 4 + length));
        buf = buf.subarray(end + 4 + length);
        const reply = answer(requests.length, socket);
        if (reply !== undefined) socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/traces`),
    requests,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const body = Buffer.from('payload');

describe('Http1Client', () => {
  it('sends a POST with its headers and body, and reads a content-length response, over one kept-alive connection', async () => {
    const server = await scripted(() => 'HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 3\r\n\r\nabc');
    const client = new Http1Client(server.url, 1024);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await client.post('/v1/traces', { 'content-type': 'application/x-protobuf', 'x-key': 'k' }, body, 5000);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'application/x-protobuf');
        assert.equal(res.body.toString(), 'abc');
      }
      assert.equal(server.connections(), 1);
      assert.match(server.requests[0]!, /^POST \/v1\/traces HTTP\/1\.1\r\n/);
      assert.match(server.requests[0]!, /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
      assert.match(server.requests[0]!, /\r\ncontent-length: 7\r\n/);
      assert.match(server.requests[0]!, /\r\nx-key: k\r\n/);
      assert.ok(server.requests[0]!.endsWith('\r\n\r\npayload'));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('reads a chunked response, one that ends with the connection, and one split into single bytes', async () => {
    const replies = [
      'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n',
      'HTTP/1.0 503 Service Unavailable\r\nRetry-After: 7\r\n\r\nbusy',
    ];
    const server = await scripted((n, socket) => {
      const reply = replies[n - 1];
      if (n === 2) {
        socket.end(reply!);
        return undefined;
      }
      if (n === 3) {
        const bytes = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        let i = 0;
        const drip = (): void => {
          if (i < bytes.length) socket.write(bytes.subarray(i, ++i), () => setImmediate(drip));
        };
        drip();
        return undefined;
      }
      return reply;
    });
    const client = new Http1Client(server.url, 1024);
    try {
      const chunked = await client.post('/v1/traces', {}, body, 5000);
      assert.equal(chunked.status, 400);
      assert.equal(chunked.body.toString(), 'hello world');
      const untilClose = await client.post('/v1/traces', {}, body, 5000);
      assert.equal(untilClose.status, 503);
      assert.equal(untilClose.headers['retry-after'], '7');
      assert.equal(untilClose.body.toString(), 'busy');
      const dripped = await client.post('/v1/traces', {}, body, 5000);
      assert.equal(dripped.status, 200);
      assert.equal(dripped.body.toString(), 'ok');
      assert.equal(server.connections(), 2, 'a new connection after the one the server ended');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('keeps at most maxBodyBytes of a long response body, and still reuses the connection', async () => {
    const server = await scripted(() => `HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`);
    const client = new Http1Client(server.url, 100);
    try {
      assert.equal((await client.post('/p', {}, body, 5000)).body.length, 100);
      assert.equal((await client.post('/p', {}, body, 5000)).status, 200);
      assert.equal(server.connections(), 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('sends again on a new connection when the collector drops a kept-alive one unanswered, and fails a request it never answers', async () => {
    let hang = false;
    const server = await scripted((n, socket) => {
      if (hang) return undefined;
      // The second request arrives as the collector drops the kept-alive connection (its idle
      // timeout, say): no answer, the connection closed.
      if (n === 2) {
        socket.destroy();
        return undefined;
      }
      return 'HTTP/1.1 204 No Content\r\n\r\n';
    });
    const client = new Http1Client(server.url, 1024);
    try {
      assert.equal((await client.post('/p', {}, body, 5000)).status, 204);
      assert.equal((await client.post('/p', {}, body, 5000)).status, 204, 'sent again at once on a new connection');
      assert.equal(server.requests.length, 3);
      assert.equal(server.connections(), 2);
      hang = true;
      await assert.rejects(
        client.post('/p', {}, body, 200),
        (error: Error & { code?: string }) => error.code === 'ETIMEDOUT' && /no response within 200 ms/.test(error.message),
      );
    } finally {
      client.close();
      await server.close();
    }
  });

  it('rejects a reply that is not HTTP, and a refused connection with its code', async () => {
    const server = await scripted(() => 'SSH-2.0-OpenSSH\r\n\r\n');
    const client = new Http1Client(server.url, 1024);
    try {
      await assert.rejects(client.post('/p', {}, body, 5000), /not an HTTP\/1 response/);
    } finally {
      client.close();
      await server.close();
    }
    const refused = new Http1Client(server.url, 1024); // closed: nothing listens there now
    await assert.rejects(refused.post('/p', {}, body, 5000), (error: Error & { code?: string }) => error.code === 'ECONNREFUSED');
    refused.close();
  });

  it('talks to Node’s own HTTP server, bodies of a megabyte included', async () => {
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(JSON.stringify({ received: n })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new Http1Client(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), 1024);
    try {
      const big = Buffer.alloc(1 << 20, 7);
      const results = await Promise.all([1, 2, 3].map(() => client.post('/v1/logs', {}, big, 5000)));
      for (const res of results) assert.deepEqual(JSON.parse(res.body.toString()), { received: 1 << 20 });
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('OTLP/HTTP headers', () => {
  it('leaves out, with a warning each, a header HTTP cannot carry, and sends the others', async () => {
    const server = await scripted(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const warnings: string[] = [];
    const transport = new HttpTransport(
      {
        url: server.url.href,
        protocol: 'http/protobuf',
        compression: 'none',
        timeoutMillis: 5000,
        headers: { 'x-tenant': 'acme', 'bad name': 'x', 'x-split': 'a\r\nx-injected: yes' },
      } as OtlpConfig,
      'traces',
      'test-agent',
      1,
      (message) => warnings.push(message),
    );
    try {
      assert.deepEqual(await transport.send(body, 5000), { kind: 'ok', rejected: 0, errorMessage: undefined });
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0]!, /"bad name" is not a valid HTTP header/);
      assert.match(warnings[1]!, /"x-split" is not a valid HTTP header/);
      assert.match(server.requests[0]!, /\r\nx-tenant: acme\r\n/);
      assert.doesNotMatch(server.requests[0]!, /x-injected|bad name/);
    } finally {
      transport.close();
      await server.close();
    }
  });
});

describe('OTLP/HTTP over https:', () => {
  it('delivers to an https endpoint trusted through OTEL_EXPORTER_OTLP_CERTIFICATE (node:https, loaded on first use)', async () => {
    const tls = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
    const received: Array<{ path: string; length: number }> = [];
    const server = https.createServer(
      { key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) },
      (req, res) => {
        let length = 0;
        req.on('data', (d: Buffer) => (length += d.length));
        req.on('end', () => {
          received.push({ path: req.url ?? '', length });
          res.end();
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const transport = new HttpTransport(
      {
        url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
        protocol: 'http/protobuf',
        compression: 'none',
        timeoutMillis: 5000,
        headers: {},
        certificateFile: join(tls, 'cert.pem'),
      } as OtlpConfig,
      'traces',
      'test-agent',
      1,
      (message) => assert.fail(message),
    );
    try {
      assert.deepEqual(await transport.send(body, 5000), { kind: 'ok', rejected: 0, errorMessage: undefined });
      assert.deepEqual(received, [{ path: '/v1/traces', length: body.length }]);
    } finally {
      transport.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
