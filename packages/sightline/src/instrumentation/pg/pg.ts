// pg (node-postgres) publishes no diagnostics channels yet (brianc/node-postgres#3650), so Client#query
// is wrapped when pg loads: one CLIENT span per query, Pool queries included (they run on a Client).
import { context, SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { InstrumentationContext } from '../instrumentation.js';
import { insideTrace, instrumentationOf, LEAVE_ALONE, TRACE, UNTRACED } from '../inside-trace.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { callerFrame } from '../toolkit/caller-frame.js';
import { tryStart, warnStartFailed } from '../toolkit/safe-start.js';
import { dbOperationDuration, type OperationDuration, type OperationMeasurement } from '../toolkit/operation-duration.js';
import { addBlock, ConnectionBlocks, giveBlock, sharesBlocks } from '../toolkit/connection-blocks.js';
import { summarize } from './sql.js';

/** db.system.name, db.namespace, server.address and server.port, one block per database. */
const connectionBlocks = new ConnectionBlocks('postgresql');

interface PgClient {
  host?: string;
  port?: number;
  database?: string;
  connectionParameters?: { host?: string; port?: number; database?: string };
}
type Query = (this: PgClient, config: unknown, values?: unknown, callback?: unknown) => unknown;
type Callback = (this: unknown, error: unknown, result: unknown) => unknown;

function queryText(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (config !== null && typeof config === 'object') {
    const text = (config as { text?: unknown }).text;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/**
 * One query being traced or timed, ended by whichever outcome comes first. One object per query holds
 * what its ending needs (a tuple, an ending closure and a context-bound wrapper per query before).
 */
class PgQueryCall {
  constructor(
    readonly span: Span,
    readonly measurement: OperationMeasurement | undefined,
    readonly duration: OperationDuration,
  ) {}

  end(error: unknown): void {
    endQuerySpan(this.span, error, this.duration, this.measurement);
  }
}

/**
 * The span and measurement of one query. Outside a trace (an unsampled request: the query is only
 * timed for db.client.operation.duration) no span is made, as for every client instrumentation (see
 * inside-trace.ts), and nothing the span alone would carry (its attributes, the redacted text) is built.
 */
function startQuery(tracer: Tracer, client: PgClient, config: unknown, duration: OperationDuration, traced: boolean): PgQueryCall {
  const text = queryText(config);
  const params = client.connectionParameters ?? client;
  // Literals become `?` even in parameterised text: a value written into the SQL beside a
  // placeholder must not leave the process either (a departure from the conventions' default).
  const summary = text === undefined ? undefined : summarize(text);
  const operation = summary?.operation;
  const collection = summary?.collection;
  const host = params.host || undefined;
  const port = params.port ? Number(params.port) : undefined;
  let span = UNTRACED;
  if (traced) {
    const block = connectionBlocks.get(params.database || undefined, host, port);
    const shared = sharesBlocks(tracer);
    const attributes: Attributes = shared ? {} : addBlock({}, block);
    let name = 'postgresql';
    if (summary !== undefined) {
      attributes['db.query.text'] = summary.queryText;
      if (operation) attributes['db.operation.name'] = operation;
      if (collection) attributes['db.collection.name'] = collection;
      name = operation ? (collection ? `${operation} ${collection}` : operation) : name;
      if (operation) attributes['db.query.summary'] = name;
    }
    span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
    if (shared) giveBlock(span, block);
  }
  const measurement = duration.begin(span, 'postgresql', operation || undefined, collection || undefined, host, port);
  return new PgQueryCall(span, measurement, duration);
}

/**
 * Postgres quotes the offending value in some messages: data exceptions (class 22: `invalid input
 * syntax for type integer: "…"`) and syntax errors (42601: `unterminated quoted string at or near
 * "'…"`). There the quoted part becomes "?"; other messages name only tables, columns and constraints.
 */
export function sanitizedPgMessage(message: string, code: unknown): string {
  if (typeof code !== 'string' || !(code.startsWith('22') || code === '42601')) return message;
  const first = message.indexOf('"');
  const last = message.lastIndexOf('"');
  return first === -1 || last === first ? message : `${message.slice(0, first)}"?"${message.slice(last + 1)}`;
}

function endQuerySpan(span: Span, error: unknown, duration?: OperationDuration, measurement?: OperationMeasurement): void {
  const e = error as { code?: unknown; name?: string; message?: unknown; stack?: unknown } | undefined;
  duration?.end(measurement, error ? (typeof e?.code === 'string' ? e.code : (e?.name ?? '_OTHER')) : undefined);
  if (e) {
    const code = e.code;
    span.setAttribute('error.type', typeof code === 'string' ? code : (e.name ?? '_OTHER'));
    if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
    const message = typeof e.message === 'string' ? e.message : String(error);
    const safe = sanitizedPgMessage(message, code);
    const stack = typeof e.stack === 'string' ? (safe === message ? e.stack : e.stack.split(message).join(safe)) : undefined;
    span.recordException({ name: e.name, message: safe, stack });
    span.setStatus({ code: SpanStatusCode.ERROR, message: safe });
  }
  span.end();
}

function patchClient(patcher: Patcher, pg: unknown, tracer: Tracer, duration: OperationDuration): void {
  const Client = (pg as { Client?: { prototype: object } }).Client;
  patcher.wrap<Query>(
    Client?.prototype,
    'query',
    (original) =>
      function query(this: PgClient, config: unknown, values?: unknown, callback?: unknown) {
        const instrumenting = instrumentationOf(duration.enabled);
        if (instrumenting === LEAVE_ALONE) return original.call(this, config, values, callback);
        let call: PgQueryCall;
        try {
          call = startQuery(tracer, this, config, duration, instrumenting === TRACE);
        } catch (error) {
          warnStartFailed('pg-start', 'trace a pg query', error);
          return original.call(this, config, values, callback);
        }
        // A callback may come second or third, or as config.callback; wrap whichever it is. pg calls it
        // from its connection's socket, in the connection's context: it runs in the caller's again.
        const cb = typeof values === 'function' ? values : typeof callback === 'function' ? callback : undefined;
        if (cb !== undefined) {
          const frame = callerFrame('pg.query');
          const done = function (this: unknown, error: unknown, result: unknown) {
            call.end(error);
            // pg passes (error, result); anything else is handed on as it came.
            return arguments.length === 2
              ? frame.runInAsyncScope(cb as Callback, this, error, result)
              : // eslint-disable-next-line prefer-rest-params
                frame.runInAsyncScope(Reflect.apply, undefined, cb as Callback, this, arguments);
          };
          return typeof values === 'function' ? original.call(this, config, done) : original.call(this, config, values, done);
        }
        let result: unknown;
        try {
          result = original.call(this, config, values, callback);
        } catch (error) {
          call.end(error);
          throw error;
        }
        if (result instanceof Promise) {
          result.then(
            () => call.end(undefined),
            (error: unknown) => call.end(error),
          );
        } else if (result !== null && typeof result === 'object' && typeof (result as { once?: unknown }).once === 'function') {
          // A submittable (pg-cursor, pg-query-stream) or an event-style Query: end on its outcome.
          const emitter = result as { once(event: string, fn: (...a: unknown[]) => void): void };
          let ended = false;
          const finish = (error?: unknown): void => {
            if (!ended) {
              ended = true;
              call.end(error);
            }
          };
          emitter.once('end', () => finish());
          emitter.once('close', () => finish());
        } else {
          call.end(undefined);
        }
        return result;
      },
  );
}

interface PgPool {
  options?: { host?: string; port?: number; database?: string; max?: number; connectionString?: string };
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
}
type Connect = (this: PgPool, cb?: (error: unknown, client: unknown, release: unknown) => void) => unknown;

/**
 * Pool#connect inside a trace, when no idle client is ready, gets a `pg-pool.connect` span that lasts
 * until a client is handed out, so a request that waits for a connection shows the wait (Pool#query
 * connects the same way).
 *
 * A connect callback runs in its caller's context, traced or not. pg-pool calls it from wherever a
 * client became free: for a caller that waited, inside the query callback of the request that released
 * the client. Left there, an unsampled request's query was recorded in the trace of whichever sampled
 * request released its client (and a sampled one's under the wrong parent).
 */
function patchPool(patcher: Patcher, pg: unknown, tracer: Tracer): void {
  const Pool = (pg as { Pool?: { prototype: object } }).Pool;
  patcher.wrap<Connect>(
    Pool?.prototype,
    'connect',
    (original) =>
      function connect(this: PgPool, cb) {
        // An idle client is handed out at once: a span would only be noise. Without one, the caller
        // waits for a new connection or for a busy client to come back, and that wait gets a span.
        const span =
          (this.idleCount ?? 0) > 0 || !insideTrace()
            ? undefined
            : tryStart('pg-pool-connect', 'trace a pg pool connect', () => {
                const attributes: Attributes = { 'db.system.name': 'postgresql' };
                const o = this.options ?? {};
                if (o.database) attributes['db.namespace'] = o.database;
                if (o.host) attributes['server.address'] = o.host;
                if (o.max !== undefined) attributes['db.client.connection.pool.max'] = o.max;
                // Whether this caller had to wait: no idle client and the pool already at its maximum.
                attributes['db.client.connection.pool.waited'] = (this.idleCount ?? 0) === 0 && (this.totalCount ?? 0) >= (o.max ?? 10);
                return tracer.startSpan('pg-pool.connect', { kind: SpanKind.INTERNAL, attributes }, context.active());
              });
        if (typeof cb === 'function') {
          const frame = callerFrame('pg-pool.connect');
          return original.call(this, (error: unknown, client: unknown, release: unknown) => {
            if (span !== undefined) endQuerySpan(span, error);
            frame.runInAsyncScope(cb, undefined, error, client, release);
          });
        }
        if (span === undefined) return original.call(this);
        const result = original.call(this) as Promise<unknown>;
        result.then(
          () => endQuerySpan(span, undefined),
          (error: unknown) => endQuerySpan(span, error),
        );
        return result;
      },
  );
}

export class PgInstrumentation extends PatchingInstrumentation {
  readonly name = 'pg' as const;

  enable(ctx: InstrumentationContext): void {
    const duration = dbOperationDuration(ctx.meter);
    this.onLoad('pg', (pg) => {
      patchClient(this.patcher, pg, ctx.tracer, duration);
      patchPool(this.patcher, pg, ctx.tracer);
    });
  }
}
