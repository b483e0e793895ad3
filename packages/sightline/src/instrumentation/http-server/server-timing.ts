// The W3C Trace Context Level 3 draft's response entry, `Server-Timing: trace;desc=<traceparent>`, so a
// user can read the trace id of any response in the browser's dev tools or with curl.
//
// It is added as a header line of its own to the head Node has just built in writeHead(), before any
// of it is sent. Server-Timing is a list-valued header: a second field line means the same as an entry
// joined to the app's own (a client reads `db;dur=53, trace;desc=…`), so the app's headers are neither
// read, nor copied, nor changed. Handed to Node's header handling instead (a copy of the app's headers
// object, a getHeader, the validation of the name and of the 66-character value), the entry cost ~6,000
// instructions per sampled response; this way ~3,600 (callgrind, hello). The entry is made of hex
// digits and fixed text, which need no validation.
import type { ServerResponse } from 'node:http';
import { http } from '../../builtins/http.js';
import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { log } from '../../diag/logger.js';
import { formatTraceparent } from '../../propagation/trace-context.js';
import type { Patcher } from '../toolkit/patcher.js';
import { requestStateOf } from './route.js';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/** Node's own fields for the head: the text writeHead() built, and whether it went out yet. */
type WithHead = ServerResponse & { _header?: unknown; _headerSent?: unknown };

const HEAD_END = '\r\n\r\n';

/** The context of the response's sampled server span; none for an unsampled one, which has no trace to look up. */
function sampledContext(res: ServerResponse): SpanContext | undefined {
  const ctx = requestStateOf(res.req)?.span?.spanContext();
  return ctx !== undefined && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0 ? ctx : undefined;
}

/** Adds the entry's line for `ctx` to the head writeHead() just built, if it is still unsent. */
function addEntry(res: WithHead, ctx: SpanContext): void {
  const head = res._header;
  if (typeof head !== 'string' || res._headerSent !== false || !head.endsWith(HEAD_END)) return;
  res._header = `${head.slice(0, -2)}Server-Timing: trace;desc=${formatTraceparent(ctx)}${HEAD_END}`;
}

/**
 * Whether this Node builds a response's head as text in writeHead() and sends it later (22, 24 and 26
 * do): asked once, of a response no request will see.
 */
function headIsBuiltInWriteHead(): boolean {
  try {
    const res = new http.ServerResponse(new http.IncomingMessage(null as never)) as WithHead;
    res.writeHead(200);
    return typeof res._header === 'string' && res._header.endsWith(HEAD_END) && res._headerSent === false;
  } catch {
    return false;
  }
}

export function enableServerTiming(patcher: Patcher): void {
  if (!headIsBuiltInWriteHead()) {
    log.warn(
      `Server-Timing: Node ${process.version} does not build a response's head the way Sightline adds its entry to; responses carry no trace entry (tracing is unaffected)`,
    );
    return;
  }
  patcher.wrap<WriteHead>(
    http.ServerResponse.prototype,
    'writeHead',
    (original) =>
      // `arguments`, not a rest parameter: V8 passes it through apply() without building an array.
      function writeHead(this: ServerResponse) {
        const write = original as (...a: unknown[]) => ServerResponse;
        const ctx = this.headersSent ? undefined : sampledContext(this);
        if (ctx === undefined) {
          // eslint-disable-next-line prefer-rest-params
          return write.apply(this, arguments as unknown as unknown[]);
        }
        // eslint-disable-next-line prefer-rest-params
        const result = write.apply(this, arguments as unknown as unknown[]);
        try {
          addEntry(this, ctx);
        } catch {
          // Never stop a response over its Server-Timing entry.
        }
        return result;
      } as WriteHead,
  );
}
