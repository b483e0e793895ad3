// Node modules the export worker loads only when a setting needs them. Every Node module a worker
// loads is resident memory in every process (and in every worker of `sightline run`): on Node 24,
// node:https added ~4 MB to an idle worker's RSS and node:http2 ~5 MB, for an export that most often
// goes to a collector over plain HTTP.
import type * as Http2 from 'node:http2';
import type * as Https from 'node:https';
import { promisify } from 'node:util';

let https: typeof Https | undefined;
let http2: typeof Http2 | undefined;
let gzipAsync: ((body: Uint8Array) => Promise<Buffer>) | undefined;

/** node:https, for an https:// endpoint. */
export function httpsModule(): typeof Https {
  return (https ??= process.getBuiltinModule('node:https'));
}

/** node:http2, for OTLP/gRPC. */
export function http2Module(): typeof Http2 {
  return (http2 ??= process.getBuiltinModule('node:http2'));
}

/** Gzips a request body (OTEL_EXPORTER_OTLP_COMPRESSION=gzip), off the event loop's thread pool. */
export function gzip(body: Uint8Array): Promise<Buffer> {
  gzipAsync ??= promisify(process.getBuiltinModule('node:zlib').gzip) as (body: Uint8Array) => Promise<Buffer>;
  return gzipAsync(body);
}
