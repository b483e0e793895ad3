// The gRPC transport against a real HTTP/2 server that answers like a misbehaving collector.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { GrpcTransport } from '../src/export/worker/grpc-transport.js';

async function server(grpcStatus: string, grpcMessage: string): Promise<{ url: string; close: () => void }> {
  const s = http2.createServer();
  s.on('stream', (stream) => {
    stream.on('data', () => {});
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': grpcStatus, 'grpc-message': grpcMessage }));
      stream.end();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => s.close() };
}

describe('gRPC transport', () => {
  it('reports a malformed grpc-message as sent instead of throwing', async () => {
    const peer = await server('3', 'bad%E0%A4%Aspan');
    const transport = new GrpcTransport(
      { protocol: 'grpc', url: peer.url, headers: {}, compression: 'none', timeoutMillis: 2000 },
      'traces',
      'test',
      () => {},
    );
    try {
      const result = await transport.send(new Uint8Array([]), 2000);
      assert.deepEqual(result, { kind: 'fail', reason: 'gRPC status 3: bad%E0%A4%Aspan' });
    } finally {
      transport.close();
      peer.close();
    }
  });

  it('retries UNAVAILABLE with the decoded message', async () => {
    const peer = await server('14', 'collector%20restarting');
    const transport = new GrpcTransport(
      { protocol: 'grpc', url: peer.url, headers: {}, compression: 'none', timeoutMillis: 2000 },
      'traces',
      'test',
      () => {},
    );
    try {
      assert.deepEqual(await transport.send(new Uint8Array([]), 2000), { kind: 'retry', reason: 'gRPC status 14: collector restarting' });
    } finally {
      transport.close();
      peer.close();
    }
  });
});
