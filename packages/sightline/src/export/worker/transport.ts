// What one attempt to deliver an encoded request can end in, and what every transport shares.
import { readFileSync } from 'node:fs';
import type { OtlpConfig } from '../otlp-config.js';

export type SendResult =
  /** Delivered; `rejected` items refused in a partial success (never retried). */
  | { kind: 'ok'; rejected: number; errorMessage?: string }
  /** `unreachable`: nothing answered at all (refused, unknown host, no route): no collector is there. */
  | { kind: 'retry'; reason: string; retryAfterMillis?: number; unreachable?: boolean }
  /** HTTP 413 or gRPC RESOURCE_EXHAUSTED without retry advice: smaller requests may pass. */
  | { kind: 'too-large'; reason: string }
  | { kind: 'fail'; reason: string };

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);

/** A retry for a network error; `unreachable` when the error says nothing listens there. */
export function networkRetry(where: string, error: unknown): SendResult {
  const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  return { kind: 'retry', reason: `${where}: ${e?.message ?? String(error)}`, unreachable: code !== undefined && UNREACHABLE.has(code) };
}

export interface Transport {
  send(body: Uint8Array, timeoutMillis: number): Promise<SendResult>;
  /** At process exit, with no event loop: the outcome of `body`'s request on the wire, if it can be had by `deadline`. */
  settleSync?(body: Uint8Array, deadline: number): SendResult | undefined;
  close(): void;
}

/**
 * A resolve that takes only its first result: a request can fail on a timeout, an error event and a
 * close, and only the first of them is its outcome. `onSettle` runs once, with it.
 */
export function settleOnce(resolve: (result: SendResult) => void, onSettle?: () => void): (result: SendResult) => void {
  let settled = false;
  return (result) => {
    if (settled) return;
    settled = true;
    onSettle?.();
    resolve(result);
  };
}

export interface TlsFiles {
  ca?: Buffer;
  key?: Buffer;
  cert?: Buffer;
}

/** Reads the certificate files named in the configuration; an unreadable one is reported and left out. */
export function readTlsFiles(config: OtlpConfig, warn: (message: string) => void): TlsFiles {
  const read = (path: string | undefined, setting: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      warn(`${setting}="${path}" cannot be read (${(error as Error).message}); connecting without it`);
      return undefined;
    }
  };
  return {
    ca: read(config.certificateFile, 'OTEL_EXPORTER_OTLP_CERTIFICATE'),
    key: read(config.clientKeyFile, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'),
    cert: read(config.clientCertificateFile, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'),
  };
}
