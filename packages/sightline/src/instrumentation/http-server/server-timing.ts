// The W3C Trace Context Level 3 draft's response entry, `Server-Timing: trace;desc=<traceparent>`, so a
// user can read the trace id of any response in the browser's dev tools or with curl. It is added as
// the headers are written, appended to any Server-Timing the app set, never replacing it.
import http, { type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { TraceFlags } from '@opentelemetry/api';
import { formatTraceparent } from '../../propagation/trace-context.js';
import type { Patcher } from '../toolkit/patcher.js';
import { requestStateOf } from './route.js';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

function withEntry(existing: unknown, entry: string): string | string[] {
  if (Array.isArray(existing)) return [...existing.map(String), entry];
  return `${String(existing)}, ${entry}`;
}

function isServerTiming(name: unknown): boolean {
  return typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'server-timing';
}

/** Whether the response's request has a sampled server span (an unsampled one has no trace to look up). */
function isTraced(res: ServerResponse): boolean {
  const span = requestStateOf(res.req)?.span;
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

function addEntry(res: ServerResponse, args: unknown[]): void {
  const ctx = requestStateOf(res.req)!.span!.spanContext();
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

/** The arguments with the entry added, or undefined when it cannot be added (never stopping the response). */
function withServerTiming(res: ServerResponse, args: ArrayLike<unknown>): unknown[] | undefined {
  try {
    const copy = Array.prototype.slice.call(args) as unknown[];
    addEntry(res, copy);
    return copy;
  } catch {
    return undefined;
  }
}

export function enableServerTiming(patcher: Patcher): void {
  patcher.wrap<WriteHead>(
    http.ServerResponse.prototype,
    'writeHead',
    (original) =>
      // `arguments`, not a rest parameter: V8 passes it through apply() without building an array,
      // and only a sampled response's entry needs the arguments as an array.
      function writeHead(this: ServerResponse) {
        const write = original as (...a: unknown[]) => ServerResponse;
        if (!this.headersSent && isTraced(this)) {
          // eslint-disable-next-line prefer-rest-params
          const withEntry = withServerTiming(this, arguments);
          if (withEntry !== undefined) return write.apply(this, withEntry);
        }
        // eslint-disable-next-line prefer-rest-params
        return write.apply(this, arguments as unknown as unknown[]);
      } as WriteHead,
  );
}
