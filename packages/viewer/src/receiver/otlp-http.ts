// OTLP/HTTP receiver (POST /v1/traces, /v1/logs, /v1/metrics, /v1development/profiles), protobuf and JSON on the same port,
// answering in the request's own encoding as the OTLP specification requires.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostAllowed, hostName } from '../host-check.js';
import { PayloadError } from '../store/normalize.js';
import { BodyError, decompress, readBody } from './body.js';
import { handleExport, type Counters, type Encoding, type ExportResult, type Signal } from './ingest.js';
import { encodeExportResponse, encodeStatus, JSON_REJECTED_KEYS } from '@sightline/otlp';
import type { TraceStore } from '../store/store.js';

const PATHS: Record<string, Signal> = {
  '/v1/traces': 'traces',
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
  '/v1development/profiles': 'profiles',
};
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_INTERNAL = 13;

export interface ReceiverHooks {
  store: TraceStore;
  counters: Counters;
  maxBodyBytes: number;
  onTraces(traceIds: string[]): void;
  /** Host names requests may be addressed to; undefined (bound to a non-loopback address) accepts any. */
  allowedHosts: ReadonlySet<string> | undefined;
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function send(response: ServerResponse, status: number, encoding: Encoding, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': buf.length,
  });
  response.end(buf);
}

function sendStatus(response: ServerResponse, status: number, encoding: Encoding, code: number, message: string): void {
  send(response, status, encoding, encoding === 'protobuf' ? encodeStatus(code, message) : JSON.stringify({ code, message }));
}

function sendResult(response: ServerResponse, encoding: Encoding, signal: Signal, result: ExportResult): void {
  if (encoding === 'protobuf') return send(response, 200, encoding, encodeExportResponse(result.rejected, result.message));
  const rejectedKey = JSON_REJECTED_KEYS[signal];
  const body = result.rejected ? { partialSuccess: { [rejectedKey]: String(result.rejected), errorMessage: result.message } } : {};
  send(response, 200, encoding, JSON.stringify(body));
}

async function handle(hooks: ReceiverHooks, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  if (!hostAllowed(hooks.allowedHosts, request.headers.host)) {
    request.resume();
    return sendStatus(
      response,
      421,
      'json',
      GRPC_PERMISSION_DENIED,
      `host "${hostName(request.headers.host)}" is not served here: this receiver listens on loopback; send to localhost or 127.0.0.1`,
    );
  }
  const signal = PATHS[path];
  if (!signal)
    return sendStatus(
      response,
      404,
      'json',
      5,
      `no OTLP endpoint at ${path}; use /v1/traces, /v1/logs, /v1/metrics or /v1development/profiles`,
    );
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return sendStatus(response, 405, 'json', 12, `${request.method} is not allowed on ${path}; OTLP uses POST`);
  }
  const encoding = encodingOf(request.headers['content-type']);
  if (!encoding) {
    request.resume();
    return sendStatus(
      response,
      415,
      'json',
      GRPC_INVALID_ARGUMENT,
      `content-type "${request.headers['content-type'] ?? ''}" is not supported; use application/x-protobuf or application/json`,
    );
  }
  try {
    const raw = await readBody(request, hooks.maxBodyBytes, request.headers['content-length']);
    const body = await decompress(raw, request.headers['content-encoding'], hooks.maxBodyBytes);
    const result = handleExport(hooks.store, hooks.counters, signal, encoding, body);
    if (result.notify) hooks.onTraces(result.traceIds);
    sendResult(response, encoding, signal, result);
  } catch (error) {
    if (error instanceof BodyError) {
      if (error.status === 413) hooks.counters.oversized++;
      else hooks.counters.malformed++;
      const code = error.status === 413 ? GRPC_RESOURCE_EXHAUSTED : GRPC_INVALID_ARGUMENT;
      sendStatus(response, error.status, encoding, code, error.message);
    } else if (error instanceof PayloadError) {
      sendStatus(response, 400, encoding, GRPC_INVALID_ARGUMENT, error.message);
    } else {
      sendStatus(response, 500, encoding, GRPC_INTERNAL, `the viewer failed to store the request: ${(error as Error).message}`);
    }
  }
}

export function createOtlpHttpServer(hooks: ReceiverHooks): Server {
  return createServer((request, response) => {
    handle(hooks, request, response).catch(() => response.destroy());
  });
}
