// OTLP/HTTP (protobuf or JSON) for one signal: http: endpoints over a raw HTTP/1.1 client (http1-client.ts),
// https: endpoints over node:https with a keep-alive agent.
import type https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { OtlpConfig } from '../otlp-config.js';
import type { Signal } from '../export-counters.js';
import { decodePartialSuccess, decodeStatusMessage, JSON_REJECTED_KEYS, JSON_TRANSCODERS } from '@sightline/otlp';
import { markInternalClient } from '../../context/internal-objects.js';
import { Http1Client } from './http1-client.js';
import { isRetryableStatus, parseRetryAfter } from './retry.js';
import { networkRetry, readTlsFiles, settleOnce, type SendResult, type Transport } from './transport.js';

const gzipAsync = promisify(gzip);
// Loaded for the first https: endpoint, not with the module: node:https (and the TLS it brings) adds
// 2–5 MB of RSS to each thread that loads it (bench/README.md, 2026-12-03), and http: endpoints go over
// the raw client.
const httpsModule = (): typeof https => process.getBuiltinModule('node:https');
const MAX_RESPONSE_BYTES = 64 * 1024;

export class HttpTransport implements Transport {
  private readonly url: URL;
  /** Node's client, for https: endpoints. */
  private readonly agent: https.Agent | undefined;
  /** http: endpoints: a raw HTTP/1.1 client (http1-client.ts). */
  private readonly plain: Http1Client | undefined;
  private readonly json: boolean;
  private readonly baseHeaders: Record<string, string>;
  private readonly toJson: ((protobuf: Uint8Array) => unknown) | undefined;
  private readonly path: string;

  constructor(
    private readonly config: OtlpConfig,
    private readonly signal: Signal,
    userAgent: string,
    maxSockets: number,
    warn: (message: string) => void,
  ) {
    this.url = new URL(config.url);
    this.path = `${this.url.pathname}${this.url.search}`;
    this.json = config.protocol === 'http/json';
    this.toJson = JSON_TRANSCODERS[signal];
    if (this.json && this.toJson === undefined) throw new Error(`OTLP http/json is not available for ${signal}`);
    const secure = this.url.protocol === 'https:';
    // One socket per request in flight, kept alive between batches. Plain HTTP goes over the raw
    // client: on the app's event loop (the in-process export) Node's client would share the app's
    // HTTP server code and turn its inline caches megamorphic, the exit path reads the raw client's
    // answers synchronously, and in the export worker it took 0.62 µs per request of `hello` at 100%
    // where Node's took 0.99 (bench/README.md, 2026-12-03).
    if (!secure) this.plain = new Http1Client(this.url, MAX_RESPONSE_BYTES);
    else {
      this.agent = new (httpsModule().Agent)({ keepAlive: true, maxSockets, ...readTlsFiles(config, warn) });
      markInternalClient(this.agent);
    }
    this.baseHeaders = {
      ...validHeaders(config.headers, warn),
      'content-type': this.json ? 'application/json' : 'application/x-protobuf',
      'user-agent': userAgent,
    };
    if (config.compression === 'gzip') this.baseHeaders['content-encoding'] = 'gzip';
  }

  /** Batches arrive as protobuf; for http/json they are transcoded here, off the main thread. */
  async send(protobuf: Uint8Array, timeoutMillis: number): Promise<SendResult> {
    const body = this.json ? Buffer.from(JSON.stringify(this.toJson!(protobuf))) : protobuf;
    const payload = this.config.compression === 'gzip' ? await gzipAsync(body) : body;
    if (this.plain !== undefined) {
      try {
        // Named by the batch as queued (not as sent, compressed or transcoded), for settleSync.
        const res = await this.plain.post(this.path, this.baseHeaders, payload, timeoutMillis, protobuf);
        return this.interpret(res.status, res.headers, res.body);
      } catch (error) {
        return networkRetry(this.url.host, error);
      }
    }
    return new Promise<SendResult>((resolve) => {
      const settle = settleOnce(resolve);
      const req = httpsModule().request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.baseHeaders, 'content-length': String(payload.length) },
        timeout: timeoutMillis,
      });
      req.on('timeout', () => {
        req.destroy(new Error(`no response within ${timeoutMillis} ms`));
      });
      req.on('error', (error) => settle(networkRetry(this.url.host, error)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('error', (error) => settle({ kind: 'retry', reason: error.message }));
        res.on('end', () => settle(this.interpret(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      });
      req.end(payload);
    });
  }

  private interpret(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): SendResult {
    const contentType = headers['content-type'] as string | undefined;
    if (status >= 200 && status < 300) {
      const partial = this.partialSuccess(body, contentType);
      return { kind: 'ok', rejected: partial?.rejected ?? 0, errorMessage: partial?.errorMessage || undefined };
    }
    const reason = `HTTP ${status}${describeBody(body, contentType)}`;
    if (status === 413) return { kind: 'too-large', reason };
    if (isRetryableStatus(status)) {
      const retryAfter = headers['retry-after'];
      return { kind: 'retry', reason, retryAfterMillis: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) };
    }
    return { kind: 'fail', reason };
  }

  private partialSuccess(body: Buffer, contentType: string | undefined): { rejected: number; errorMessage: string } | undefined {
    if (body.length === 0) return undefined;
    try {
      if (contentType?.includes('json')) {
        const parsed = JSON.parse(body.toString('utf8')) as { partialSuccess?: Record<string, string | number | undefined> };
        const p = parsed.partialSuccess;
        if (p === undefined || p === null) return undefined;
        const rejected = Number(p[JSON_REJECTED_KEYS[this.signal]] ?? 0);
        return { rejected: Number.isFinite(rejected) ? rejected : 0, errorMessage: String(p.errorMessage ?? '') };
      }
      return decodePartialSuccess(body);
    } catch {
      return undefined; // A success whose body we cannot read is still a success.
    }
  }

  /**
   * At process exit: the outcome of the request for this batch, if it was all written and its answer
   * arrives by `deadline`; undefined otherwise (sent again then, by the thread started at exit).
   */
  settleSync(protobuf: Uint8Array, deadline: number): SendResult | undefined {
    const res = this.plain?.settleSync(protobuf, deadline);
    return res === undefined ? undefined : this.interpret(res.status, res.headers, res.body);
  }

  close(): void {
    this.agent?.destroy();
    this.plain?.close();
  }
}

function describeBody(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return '';
  let text: string | undefined;
  if (contentType?.includes('protobuf')) text = decodeStatusMessage(body);
  else if (contentType?.includes('json')) {
    try {
      text = (JSON.parse(body.toString('utf8')) as { message?: string }).message;
    } catch {
      text = undefined;
    }
  }
  text ??= body.toString('utf8', 0, Math.min(body.length, 200));
  return text ? `: ${text}` : '';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers from OTEL_EXPORTER_OTLP_HEADERS that HTTP can carry; one that cannot is said and left out. */
function validHeaders(headers: Record<string, string>, warn: (message: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (TOKEN.test(name) && !/[\r\n\0]/.test(value)) out[name] = value;
    else warn(`the OTLP header ${JSON.stringify(name)} is not a valid HTTP header name and value; it is not sent`);
  }
  return out;
}
