// OTLP/gRPC over node:http2: one unary call to the signal's Export method per batch; requests in
// flight at once share one HTTP/2 session as concurrent streams.
import type * as http2 from 'node:http2';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { OtlpConfig } from '../otlp-config.js';
import type { Signal } from '../export-counters.js';
import { decodePartialSuccess, GRPC_PATHS } from '@sightline/otlp';
import { GRPC_RESOURCE_EXHAUSTED, isRetryableGrpcCode } from './retry.js';
import { networkRetry, readTlsFiles, settleOnce, type SendResult, type TlsFiles, type Transport } from './transport.js';

const gzipAsync = promisify(gzip);
// Loaded with the first gRPC session, not with the module: node:http2 (and the TLS it brings) adds
// 5–7 MB of RSS to each thread that loads it (bench/README.md, 2026-12-03), and only gRPC endpoints need it.
const http2Module = (): typeof http2 => process.getBuiltinModule('node:http2');
const MAX_RESPONSE_BYTES = 64 * 1024;

/** grpc-message is percent-encoded; a malformed one from a misbehaving server is kept as sent rather
 * than thrown inside a stream handler, where it would end the export worker. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export class GrpcTransport implements Transport {
  private session: http2.ClientHttp2Session | undefined;
  /** Requests on the wire: the session holds the process alive only while there are some. */
  private active = 0;
  private readonly tls: TlsFiles;
  private readonly metadata: Record<string, string>;
  private readonly path: string;

  constructor(
    private readonly config: OtlpConfig,
    signal: Signal,
    private readonly userAgent: string,
    warn: (message: string) => void,
  ) {
    this.path = GRPC_PATHS[signal];
    this.tls = config.url.startsWith('https:') ? readTlsFiles(config, warn) : {};
    // gRPC metadata keys are lowercase HTTP/2 headers.
    this.metadata = Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2Module().connect(this.config.url, this.tls);
    // An idle session would keep the app alive forever on its own event loop (the in-process export):
    // it holds the process only while requests are on it (send()), as an HTTP/1 request does.
    session.unref();
    session.on('error', () => {
      // Reported through the failing request; a new session is made on the next attempt.
    });
    session.on('goaway', () => session.close());
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  async send(body: Uint8Array, timeoutMillis: number): Promise<SendResult> {
    const compressed = this.config.compression === 'gzip';
    const payload = compressed ? await gzipAsync(body) : body;
    const frame = Buffer.allocUnsafe(5 + payload.length);
    frame[0] = compressed ? 1 : 0;
    frame.writeUInt32BE(payload.length, 1);
    frame.set(payload, 5);

    return new Promise<SendResult>((resolve) => {
      // Declared first: a connection failure settles before the timer starts.
      let timer: NodeJS.Timeout | undefined = undefined;
      let session: http2.ClientHttp2Session | undefined;
      const settle = settleOnce(resolve, () => {
        clearTimeout(timer);
        if (session !== undefined && --this.active === 0) session.unref();
      });
      try {
        session = this.connect();
      } catch (error) {
        settle(networkRetry(this.config.url, error));
        return;
      }
      if (this.active++ === 0) session.ref();
      const headers: http2.OutgoingHttpHeaders = {
        ...this.metadata,
        ':method': 'POST',
        ':path': this.path,
        'content-type': 'application/grpc+proto',
        te: 'trailers',
        'user-agent': this.userAgent,
        'grpc-timeout': `${timeoutMillis}m`,
        'grpc-accept-encoding': 'identity,gzip',
      };
      if (compressed) headers['grpc-encoding'] = 'gzip';
      const stream = session.request(headers);
      timer = setTimeout(() => {
        stream.close(http2Module().constants.NGHTTP2_CANCEL);
        settle({ kind: 'retry', reason: `no gRPC response within ${timeoutMillis} ms` });
      }, timeoutMillis).unref();

      const chunks: Buffer[] = [];
      let size = 0;
      let grpcStatus: number | undefined;
      let grpcMessage = '';
      let retryAdvised = false;
      const readStatus = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] !== undefined) {
          grpcStatus = Number(h['grpc-status']);
          grpcMessage = percentDecoded(String(h['grpc-message'] ?? ''));
          // google.rpc.Status details, base64: a RetryInfo among them names its type URL in clear.
          const details = h['grpc-status-details-bin'];
          if (typeof details === 'string') retryAdvised = Buffer.from(details, 'base64').includes('google.rpc.RetryInfo');
        }
      };
      stream.on('response', (h) => {
        const status = Number(h[':status']);
        if (status !== 200) {
          // Not a gRPC answer (a proxy, say): map HTTP to gRPC codes as the gRPC spec does.
          const retryable = status === 429 || status === 502 || status === 503 || status === 504;
          const reason = `HTTP ${status}`;
          settle(retryable ? { kind: 'retry', reason } : status === 413 ? { kind: 'too-large', reason } : { kind: 'fail', reason });
          return;
        }
        readStatus(h);
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      stream.on('error', (error) => settle(networkRetry(this.config.url, error)));
      stream.on('close', () => {
        if (grpcStatus === undefined) {
          settle({ kind: 'retry', reason: `${this.config.url}: stream closed without a gRPC status` });
        } else if (grpcStatus === 0) {
          const message = Buffer.concat(chunks);
          let rejected = 0;
          let errorMessage: string | undefined;
          // The response message is framed like the request; compressed responses are not asked for.
          if (message.length >= 5 && message[0] === 0) {
            try {
              const partial = decodePartialSuccess(message.subarray(5, 5 + message.readUInt32BE(1)));
              rejected = partial?.rejected ?? 0;
              errorMessage = partial?.errorMessage || undefined;
            } catch {
              // A success whose body we cannot read is still a success.
            }
          }
          settle({ kind: 'ok', rejected, errorMessage });
        } else {
          const reason = `gRPC status ${grpcStatus}${grpcMessage ? `: ${grpcMessage}` : ''}`;
          // RESOURCE_EXHAUSTED is retryable only with the server's RetryInfo (OTLP specification);
          // without it, it is what a server's message size limit answers.
          if (grpcStatus === GRPC_RESOURCE_EXHAUSTED && !retryAdvised) settle({ kind: 'too-large', reason });
          else settle(isRetryableGrpcCode(grpcStatus) ? { kind: 'retry', reason } : { kind: 'fail', reason });
        }
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session?.close();
  }
}
