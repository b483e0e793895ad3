// The W3C Trace Context Level 3 draft's response entry, `Server-Timing: trace;desc=<traceparent>`, so a
// user can read the trace id of any response in the browser's dev tools or with curl. It is added as
// the headers are written, appended to any Server-Timing the app set, never replacing it.
import http, { type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { TraceFlags } from '@opentelemetry/api';
import { formatTraceparent } from '../../propagation/trace-context.js';
import type { Patcher } from '../toolkit/patcher.js';
import { SERVER_SPAN, type TracedRequest } from './route.js';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

function withEntry(existing: unknown, entry: string): string | string[] {
  if (Array.isArray(existing)) return [...existing.map(String), entry];
  return `${String(existing)}, ${entry}`;
}

function isServerTiming(name: unknown): boolean {
  return typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'server-timing';
}

function addEntry(res: ServerResponse, args: unknown[]): void {
  const span = (res.req as TracedRequest | undefined)?.[SERVER_SPAN];
  if (span === undefined) return;
  const ctx = span.spanContext();
  if ((ctx.traceFlags & TraceFlags.SAMPLED) === 0) return; // no trace to look up
  const entry = `trace;desc=${formatTraceparent(ctx)}`;

  // Server-Timing is a list-valued header: a second field line means the same as a joined value, so with
  // no headers passed to writeHead() the entry is simply appended. Headers passed there replace what
  // setHeader() set under the same name, so then the entry joins them instead, in a copy: the app's
  // object may be a constant it passes to every response, which must not grow an entry per response.
  const lastIndex = args.length - 1;
  const last = args[lastIndex];
  if (last !== null && typeof last === 'object') {
    if (Array.isArray(last)) {
      for (let i = 0; i < last.length; i += 2) {
        if (isServerTiming(last[i])) {
          const copy = [...(last as unknown[])];
          copy[i + 1] = withEntry(last[i + 1], entry);
          args[lastIndex] = copy;
          return;
        }
      }
    } else {
      const headers: OutgoingHttpHeaders = { ...(last as OutgoingHttpHeaders) };
      args[lastIndex] = headers;
      for (const key in headers) {
        if (isServerTiming(key)) {
          headers[key] = withEntry(headers[key], entry);
          return;
        }
      }
      // Into the object, not appendHeader(): that keeps Node's fast path for a headers object (Fastify's).
      // A value the app set with setHeader() would be replaced by the object's, so it is folded in.
      const earlier = res.getHeader('server-timing');
      headers['server-timing'] = earlier === undefined ? entry : withEntry(earlier, entry);
      return;
    }
  }
  res.appendHeader('server-timing', entry);
}

export function enableServerTiming(patcher: Patcher): void {
  patcher.wrap<WriteHead>(
    http.ServerResponse.prototype,
    'writeHead',
    (original) =>
      function writeHead(this: ServerResponse, ...args: unknown[]) {
        if (!this.headersSent) {
          try {
            addEntry(this, args);
          } catch {
            // A header we cannot add never stops the response.
          }
        }
        return (original as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as WriteHead,
  );
}
