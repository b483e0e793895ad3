// The W3C Trace Context Level 3 draft's response entry, `Server-Timing: trace;desc=<traceparent>`, so a
// user can read the trace id of any response in the browser's dev tools or with curl.
//
// It is added as a header line of its own, right after the status line, as Node's writeHead() hands
// that line to `_storeHeader()`, which builds the head from it. Server-Timing is a list-valued header:
// a second field line means the same as an entry joined to the app's own (a client reads
// `trace;desc=…, db;dur=53`), so the app's headers are neither read, nor copied, nor changed.
//
// Why there and not elsewhere (callgrind, `hello` at 100% sampling, Node 24):
// - Handed to Node's header handling (a copy of the app's headers object, a getHeader, the validation
//   of the name and of the 66-character value), the entry cost ~6,000 instructions per sampled response.
// - Spliced into the head writeHead() had built, before its blank line, it cost ~1,970: reading the
//   head's last characters made V8 flatten the head, a string of many joined parts, into a copy of its
//   own (~700 instructions), only for Node to flatten the spliced head again as it wrote it.
// - Joined to the status line, nothing is read: the head is flattened once, when it is written, as it
//   is without Sightline. The entry is made of hex digits and fixed text, which need no validation.
import type { ServerResponse } from 'node:http';
import { http } from '../../builtins/http.js';
import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { log } from '../../diag/logger.js';
import { formatTraceparent } from '../../propagation/trace-context.js';
import type { Patcher } from '../toolkit/patcher.js';
import { requestStateOf } from './route.js';

type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void;

/** Node's own fields for the head: the text writeHead() built and the method that builds it. */
type WithHead = ServerResponse & { _header?: unknown; _storeHeader?: StoreHeader };

/** The context of the response's sampled server span; none for an unsampled one, which has no trace to look up. */
function sampledContext(res: ServerResponse): SpanContext | undefined {
  const ctx = requestStateOf(res.req)?.span?.spanContext();
  return ctx !== undefined && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0 ? ctx : undefined;
}

/**
 * Whether this Node's writeHead() hands the status line, `HTTP/1.1 200 OK\r\n`, to `_storeHeader()` as
 * its first argument and starts the head with it (22, 24 and 26 do): asked once, of a response no
 * request will see.
 */
function statusLineStartsHead(): boolean {
  try {
    const res = new http.ServerResponse(new http.IncomingMessage(null as never)) as WithHead;
    const store = res._storeHeader;
    if (typeof store !== 'function') return false;
    let given: unknown;
    res._storeHeader = function (this: ServerResponse, firstLine: string, headers: unknown) {
      given = firstLine;
      store.call(this, firstLine, headers);
    };
    res.writeHead(200, { 'x-probe': '1' });
    return (
      typeof given === 'string' &&
      /^HTTP\/1\.1 200 [^\r\n]*\r\n$/.test(given) &&
      typeof res._header === 'string' &&
      res._header.startsWith(`${given}x-probe: 1\r\n`)
    );
  } catch {
    return false;
  }
}

export function enableServerTiming(patcher: Patcher): void {
  if (!statusLineStartsHead()) {
    log.warn(
      `Server-Timing: Node ${process.version} does not build a response's head the way Sightline adds its entry to; responses carry no trace entry (tracing is unaffected)`,
    );
    return;
  }
  patcher.wrap<StoreHeader>(
    http.ServerResponse.prototype,
    '_storeHeader',
    (original) =>
      function _storeHeader(this: ServerResponse, firstLine: string, headers: unknown): void {
        let line = firstLine;
        try {
          const ctx = sampledContext(this);
          if (ctx !== undefined) line = `${firstLine}Server-Timing: trace;desc=${formatTraceparent(ctx)}\r\n`;
        } catch {
          // Never stop a response over its Server-Timing entry.
        }
        original.call(this, line, headers);
      },
  );
}
