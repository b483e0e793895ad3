// A real OTLP receiver for tests: HTTP (protobuf and JSON, gzip) and gRPC (@grpc/grpc-js). Protobuf is
// decoded with the official opentelemetry-proto schema (protobufjs code generated from the .proto files).
import http from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
const root = require('otlp-proto-schema/build/src/generated/root.js');
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP kind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message: string };
  events: Array<{ name: string; timeUnixNano: bigint; attributes: Record<string, unknown> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  flags: number;
  droppedAttributesCount: number;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedRequest {
  contentType: string;
  contentEncoding: string | undefined;
  headers: http.IncomingHttpHeaders | Record<string, unknown>;
  spans: number;
}

export type Responder = (
  req: http.IncomingMessage,
  body: Buffer,
) => { status: number; headers?: Record<string, string>; body?: Buffer | string } | 'hang' | undefined;

export interface Receiver {
  url: string;
  port: number;
  spans: ReceivedSpan[];
  requests: ReceivedRequest[];
  waitForSpans(count: number, timeoutMillis?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export interface HttpReceiver extends Receiver {
  /** Stops listening and drops every connection: the port refuses connections until resume(). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
}

export interface HttpReceiverOptions {
  /** Answer each accepted request only after this long, as a slow or distant collector does. */
  delayMillis?: number;
  /** Bodies larger than this (before decompression) are refused with 413, as a collector's size limit does. */
  maxBodyBytes?: number;
}

/** Span ids that arrived more than once. */
export function duplicateSpanIds(spans: ReceivedSpan[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const s of spans) (seen.has(s.spanId) ? twice : seen).add(s.spanId);
  return [...twice];
}

const hex = (bytes: Uint8Array | undefined | null): string => (bytes && bytes.length ? Buffer.from(bytes).toString('hex') : '');

function anyValue(v: Record<string, unknown> | undefined | null): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(String(v.intValue));
  if (v.doubleValue !== undefined && v.doubleValue !== null) return Number(v.doubleValue);
  if (v.arrayValue) return ((v.arrayValue as { values?: Array<Record<string, unknown>> }).values ?? []).map(anyValue);
  return undefined;
}

function attrs(list: Array<{ key: string; value: Record<string, unknown> }> | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

const nanos = (v: unknown): bigint => BigInt(String(v ?? 0));

/** Decodes a protobuf ExportTraceServiceRequest with the official schema. */
export function decodeProtobuf(body: Uint8Array): ReceivedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  const obj = ExportTraceServiceRequest.toObject(message, { longs: String, defaults: false });
  return normalise(obj, true);
}

/** Reads an OTLP/JSON request (hex ids, integer enums, decimal-string int64s). */
export function decodeJson(text: string): ReceivedSpan[] {
  return normalise(JSON.parse(text), false);
}

function normalise(request: any, binary: boolean): ReceivedSpan[] {
  const id = (v: unknown): string => (binary ? hex(v as Uint8Array) : String(v ?? ''));
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: id(s.traceId),
          spanId: id(s.spanId),
          parentSpanId: id(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name,
          kind: Number(s.kind ?? 0),
          startTimeUnixNano: nanos(s.startTimeUnixNano),
          endTimeUnixNano: nanos(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
          events: (s.events ?? []).map((e: { name: string; timeUnixNano: unknown; attributes: never }) => ({
            name: e.name,
            timeUnixNano: nanos(e.timeUnixNano),
            attributes: attrs(e.attributes),
          })),
          links: (s.links ?? []).map((l: { traceId: unknown; spanId: unknown; attributes: never }) => ({
            traceId: id(l.traceId),
            spanId: id(l.spanId),
            attributes: attrs(l.attributes),
          })),
          flags: Number(s.flags ?? 0),
          droppedAttributesCount: Number(s.droppedAttributesCount ?? 0),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function receiver(port: number, spans: ReceivedSpan[], requests: ReceivedRequest[], close: () => Promise<void>): Receiver {
  return { url: `http://127.0.0.1:${port}`, port, spans, requests, waitForSpans: waiter(spans), close };
}

function waiter(spans: ReceivedSpan[]) {
  return async (count: number, timeoutMillis = 15000): Promise<ReceivedSpan[]> => {
    const deadline = Date.now() + timeoutMillis;
    while (spans.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} spans, received ${spans.length} within ${timeoutMillis} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return spans;
  };
}

export async function startHttpReceiver(responder?: Responder, options: HttpReceiverOptions = {}): Promise<HttpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (options.maxBodyBytes === undefined || size <= options.maxBodyBytes) chunks.push(c);
    });
    req.on('end', () => {
      const custom = responder?.(req, Buffer.concat(chunks));
      if (custom === 'hang') {
        hanging.push(res);
        return;
      }
      if (custom !== undefined) {
        res.writeHead(custom.status, custom.headers ?? {});
        res.end(custom.body ?? '');
        return;
      }
      if (options.maxBodyBytes !== undefined && size > options.maxBodyBytes) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 8, message: `body of ${size} bytes is over the ${options.maxBodyBytes}-byte limit` }));
        return;
      }
      const answer = (): void => {
        if (!(req.url ?? '').endsWith('/v1/traces')) {
          // Metrics and logs the app also sends by default: acknowledged, not counted as spans.
          res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/x-protobuf') });
          res.end(String(req.headers['content-type'] ?? '').includes('json') ? '{}' : '');
          return;
        }
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const contentType = String(req.headers['content-type'] ?? '');
        const decoded = contentType.includes('json') ? decodeJson(body.toString('utf8')) : decodeProtobuf(body);
        spans.push(...decoded);
        requests.push({ contentType, contentEncoding: req.headers['content-encoding'], headers: req.headers, spans: decoded.length });
        if (contentType.includes('json')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        } else {
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end(Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish()));
        }
      };
      if (options.delayMillis) setTimeout(answer, options.delayMillis);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    ...receiver(port, spans, requests, stop),
    pause: stop,
    resume: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

export async function startGrpcReceiver(): Promise<Receiver> {
  const grpc = await import('@grpc/grpc-js');
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const server = new grpc.Server();
  const service = {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Uint8Array) => Buffer.from(v),
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (v: object) => Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create(v)).finish()),
      responseDeserialize: (b: Buffer) => b,
    },
  };
  // Metrics and logs the app also sends by default: acknowledged with an empty response, not counted.
  for (const path of [
    '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  ]) {
    server.addService(
      { Export: { ...service.Export, path, responseSerialize: () => Buffer.alloc(0) } } as never,
      { Export: (_call: unknown, callback: (err: null, value: object) => void) => callback(null, {}) } as never,
    );
  }
  server.addService(
    service as never,
    {
      Export: (
        call: { request: Buffer; metadata: { getMap(): Record<string, unknown> } },
        callback: (err: null, value: object) => void,
      ) => {
        const decoded = decodeProtobuf(call.request);
        spans.push(...decoded);
        requests.push({
          contentType: 'application/grpc',
          contentEncoding: undefined,
          headers: call.metadata.getMap(),
          spans: decoded.length,
        });
        callback(null, {});
      },
    } as never,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return receiver(port, spans, requests, () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
}
