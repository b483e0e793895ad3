// OTLP/gRPC receiver on node:http2 (cleartext h2c, as collectors listen on 4317): unary Export calls
// for traces, logs and metrics, with gRPC's 5-byte message framing and gzip message compression.

import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { hostAllowed, hostName } from '../host-check.js';
import { PayloadError } from '../store/normalize.js';
import { BodyError, readBody } from './body.js';
import { handleExport, type Signal } from './ingest.js';
import type { ReceiverHooks } from './otlp-http.js';
import { encodeExportResponse } from '@sightline/otlp';

const METHODS: Record<string, Signal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': 'metrics',
  '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export': 'profiles',
};
const OK = 0;
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

function finish(stream: ServerHttp2Stream, code: number, message: string, reply?: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  }
  stream.once('wantTrailers', () => {
    const trailers: Record<string, string> = { 'grpc-status': String(code) };
    if (message) trailers['grpc-message'] = encodeURIComponent(message);
    stream.sendTrailers(trailers);
  });
  if (reply) {
    const frame = Buffer.alloc(5 + reply.length);
    frame.writeUInt32BE(reply.length, 1);
    reply.copy(frame, 5);
    stream.end(frame);
  } else stream.end();
}

/** Splits the gRPC length-prefixed message (exactly one for a unary call) out of the body. */
function unframe(body: Buffer, encoding: string | undefined, limit: number): Buffer {
  if (body.length < 5) throw new PayloadError('gRPC body shorter than its 5-byte message prefix');
  const compressed = body[0] === 1;
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new PayloadError(`gRPC message prefix says ${length} bytes, body has ${body.length - 5}`);
  const message = body.subarray(5);
  if (!compressed) return message;
  if (encoding !== 'gzip') throw new PayloadError(`compressed gRPC message with unsupported grpc-encoding "${encoding}"`);
  try {
    return gunzipSync(message, { maxOutputLength: limit });
  } catch (error) {
    throw new PayloadError(`gzip-compressed gRPC message is corrupt or too large: ${(error as Error).message}`);
  }
}

function onStream(hooks: ReceiverHooks, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  stream.on('error', () => {});
  const authority = String(headers[':authority'] ?? headers.host ?? '');
  if (!hostAllowed(hooks.allowedHosts, authority)) {
    stream.resume();
    return finish(
      stream,
      PERMISSION_DENIED,
      `host "${hostName(authority)}" is not served here: this receiver listens on loopback; send to localhost or 127.0.0.1`,
    );
  }
  const signal = METHODS[String(headers[':path'])];
  if (!signal) {
    stream.resume();
    return finish(stream, UNIMPLEMENTED, `unknown method ${String(headers[':path'])}`);
  }
  // The limit is the message's, plus its 5-byte frame prefix.
  readBody(stream, hooks.maxBodyBytes + 5).then(
    (body) => {
      let message: Buffer;
      try {
        message = unframe(body, headers['grpc-encoding'] as string | undefined, hooks.maxBodyBytes);
      } catch (error) {
        hooks.counters.malformed++;
        return finish(stream, INVALID_ARGUMENT, (error as Error).message);
      }
      try {
        const result = handleExport(hooks.store, hooks.counters, signal, 'protobuf', message);
        if (result.notify) hooks.onTraces(result.traceIds);
        finish(stream, OK, '', encodeExportResponse(result.rejected, result.message));
      } catch (error) {
        const code = error instanceof PayloadError ? INVALID_ARGUMENT : INTERNAL;
        finish(stream, code, (error as Error).message);
      }
    },
    (error: unknown) => {
      // A stream that failed while being read has no one to answer.
      if (!(error instanceof BodyError) || error.status !== 413) return;
      hooks.counters.oversized++;
      finish(stream, RESOURCE_EXHAUSTED, `message exceeds the ${hooks.maxBodyBytes}-byte limit`);
    },
  );
}

export function createOtlpGrpcServer(hooks: ReceiverHooks): Http2Server {
  const server = createServer();
  server.on('stream', (stream, headers) => onStream(hooks, stream, headers));
  server.on('sessionError', () => {});
  // gRPC clients keep their session open; closing the viewer must not wait for them to hang up.
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  return Object.assign(server, { closeAllConnections: () => sessions.forEach((s) => s.destroy()) });
}
