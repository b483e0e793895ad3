// Helpers for the stable HTTP semantic conventions shared by the server and client instrumentations.
import type { Attributes } from '@opentelemetry/api';
import type { QueryRedactor } from './redaction/url-query.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** `http.request.method`: known methods as they are, anything else `_OTHER` (then `http.request.method_original` holds it). */
export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return '_OTHER';
  // Most requests' methods, compared before the set: Node's parser hands out the same string for each
  // method, so === is one comparison where the set hashes (~15 ns of every request).
  if (method === 'GET' || method === 'POST') return method;
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** The method as a span name uses it: `HTTP` for methods normalised to `_OTHER` (semantic conventions). */
export function methodForName(method: string): string {
  return method === '_OTHER' ? 'HTTP' : method;
}

/** A Host header's address and port. */
export interface HostAndPort {
  readonly address: string | undefined;
  readonly port: number;
}

// The last Host parsed and its result: a server's requests mostly name the same host, and parsing it
// took a runtime call (lastIndexOf), two slices and a number parse per sampled request.
let lastHost: string | undefined;
let lastDefaultPort = 0;
let lastParsed: HostAndPort = { address: undefined, port: 0 };

/** Splits a Host header ("example.com:8080", "[::1]:3000") into address and port; the result is shared, not to be changed. */
export function parseHost(host: string | undefined, defaultPort: number): HostAndPort {
  if (host === lastHost && defaultPort === lastDefaultPort && host !== undefined) return lastParsed;
  const parsed = parseHostOnce(host, defaultPort);
  lastHost = host;
  lastDefaultPort = defaultPort;
  lastParsed = parsed;
  return parsed;
}

function parseHostOnce(host: string | undefined, defaultPort: number): HostAndPort {
  if (!host) return { address: undefined, port: defaultPort };
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    const port = host.charCodeAt(end + 1) === 58 ? Number(host.slice(end + 2)) : defaultPort;
    return { address: host.slice(1, end), port: Number.isInteger(port) && port > 0 ? port : defaultPort };
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1) return { address: host, port: defaultPort };
  const port = Number(host.slice(colon + 1));
  return { address: host.slice(0, colon), port: Number.isInteger(port) && port > 0 ? port : defaultPort };
}

/** Header values that are never recorded, even when listed for capture. */
const REDACTED_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);
/** Headers that carry a URL, whose query may hold credentials. */
const URL_HEADERS = new Set(['referer', 'location', 'content-location']);

/**
 * Adds `http.{request|response}.header.<name>` attributes (string arrays, as the conventions define
 * them) for each listed header present; credentials are replaced by "REDACTED", and so are
 * credential query values in headers that carry a URL.
 */
export function captureHeaders(
  attributes: Attributes,
  kind: 'request' | 'response',
  names: string[],
  get: (name: string) => string | string[] | number | undefined,
  redactor: QueryRedactor,
): void {
  for (const name of names) {
    const value = get(name);
    if (value === undefined) continue;
    const key = `http.${kind}.header.${name}`;
    if (REDACTED_HEADERS.has(name)) attributes[key] = ['REDACTED'];
    else {
      const values = Array.isArray(value) ? value.map(String) : [String(value)];
      attributes[key] = URL_HEADERS.has(name) ? values.map((v) => redactor.redactUrl(v)) : values;
    }
  }
}

/** The HTTP duration histograms' advised boundaries, in seconds (stable HTTP semantic conventions). */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
