// What every Redis span is made of, whether a client's TracingChannel or a patch of an older client
// reports the command: the query text (the command and its key, never values), the attributes, the
// error, and the batch state that keeps a MULTI's or pipeline's commands from making spans of their own.
import { context, SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { UNTRACED } from '../inside-trace.js';
import { endOperation, type OperationDuration, type OperationMeasurement } from '../toolkit/operation-duration.js';
import { addBlock, ConnectionBlocks, giveBlock, sharesBlocks } from '../toolkit/connection-blocks.js';
import type { SharedAttributes } from '../../trace/shared-attributes.js';

export const SPAN = Symbol('sightline.redisSpan');

/** What a Redis instrumentation records with: its tracer, and db.client.operation.duration. */
export interface RedisTelemetry {
  tracer: Tracer;
  duration: OperationDuration;
}

/** A command (or batch) under way: its span, and its timing for the duration metric. */
export interface RedisOperation {
  span: Span;
  measurement: OperationMeasurement | undefined;
}
const MAX_SHOWN_ARGS = 5;

export interface CommandMessage {
  command?: string;
  /** Sanitised by the client already (values it deems unsafe are "?"); node-redis includes the command. */
  args?: unknown[];
  batchMode?: 'MULTI' | 'PIPELINE';
  batchSize?: number;
  database?: number | string;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
  [SPAN]?: RedisOperation;
}

/** Commands whose first argument is a value or a credential, not a key: nothing of them is shown. */
const NO_KEY_SHOWN = new Set(['AUTH', 'ECHO', 'PING']);
/** Commands whose first argument is a subcommand, shown; the rest (a script, a password) never. */
const SUBCOMMAND_ONLY = new Set(['SCRIPT', 'FUNCTION', 'CONFIG', 'ACL', 'CLIENT', 'HELLO']);

/**
 * `SET user:1 ?`: the command and its key; every further argument is `?`, whatever the client kept.
 * Scripts show only how many keys they touch (`EVAL ? 2`, `FCALL myfunction 2`): the script body, its
 * keys and its arguments never leave the process.
 */
export function redisQueryText(command: string, args: readonly unknown[]): string {
  if (args.length === 0) return command;
  if (command === 'EVAL' || command === 'EVALSHA' || command === 'EVAL_RO' || command === 'EVALSHA_RO')
    return `${command} ? ${numKeys(args[1])}`;
  if (command === 'FCALL' || command === 'FCALL_RO') return `${command} ${String(args[0])} ${numKeys(args[1])}`;
  if (NO_KEY_SHOWN.has(command)) return `${command} ?`;
  if (SUBCOMMAND_ONLY.has(command)) return args.length > 1 ? `${command} ${String(args[0])} ?` : `${command} ${String(args[0])}`;
  // Concatenated, not an array joined: Array#join took ~1.6 µs a command in `realistic`'s profile.
  const rest = args.length - 1;
  const text = `${command} ${String(args[0])}${PLACEHOLDERS[Math.min(rest, MAX_SHOWN_ARGS)]}`;
  return rest > MAX_SHOWN_ARGS ? `${text} …` : text;
}

/** ' ?' once per further argument shown, by how many are shown. */
const PLACEHOLDERS = Array.from({ length: MAX_SHOWN_ARGS + 1 }, (_, n) => ' ?'.repeat(n));

function numKeys(value: unknown): string {
  const n = Number(typeof value === 'string' || typeof value === 'number' ? value : Buffer.isBuffer(value) ? value.toString() : NaN);
  return Number.isInteger(n) && n >= 0 ? String(n) : '?';
}

// Clients report commands in lower case (`get`); the span name and db.operation.name are upper case.
// Each name's upper case is kept: an app sends a few commands over and over, and toUpperCase() made a
// new string per command (~0.3 µs of each in `realistic`'s profile, where caches are cold). Bounded:
// past 256 names (a client reporting something else as its command), the rest are converted each time.
const MAX_COMMAND_NAMES = 256;
const commandNames = new Map<string, string>();

function commandName(command: string | undefined): string {
  if (typeof command !== 'string') return String(command ?? 'redis').toUpperCase();
  let name = commandNames.get(command);
  if (name === undefined) {
    name = command.toUpperCase();
    if (commandNames.size < MAX_COMMAND_NAMES) commandNames.set(command, name);
  }
  return name;
}

/** db.system.name, db.namespace, server.address and server.port, one block per database. */
const connectionBlocks = new ConnectionBlocks('redis');

function connectionBlock(m: CommandMessage): SharedAttributes {
  const database = m.database;
  return connectionBlocks.get(
    database === undefined ? undefined : String(database),
    m.serverAddress || undefined,
    m.serverPort || undefined,
  );
}

/**
 * A CLIENT span for one command (or a batch), as both the channel hooks and the fallback patches make
 * it. Untraced (an unsampled request's command, only timed for db.client.operation.duration), no span
 * is made and no attribute or query text built.
 */
export function startRedisSpan(
  telemetry: RedisTelemetry,
  message: CommandMessage,
  isBatch: boolean,
  argsIncludeCommand: boolean,
  traced: boolean,
): RedisOperation {
  const name = isBatch ? (message.batchMode ?? 'PIPELINE') : commandName(message.command);
  let span = UNTRACED;
  if (traced) {
    const block = connectionBlock(message);
    const shared = sharesBlocks(telemetry.tracer);
    const attributes: Attributes = shared ? {} : addBlock({}, block);
    attributes['db.operation.name'] = name;
    if (isBatch) {
      if (message.batchSize !== undefined) attributes['db.operation.batch.size'] = message.batchSize;
    } else {
      const args = Array.isArray(message.args) ? (argsIncludeCommand ? message.args.slice(1) : message.args) : [];
      attributes['db.query.text'] = redisQueryText(name, args);
    }
    span = telemetry.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
    if (shared) giveBlock(span, block);
  }
  const measurement = telemetry.duration.begin(span, 'redis', name, undefined, message.serverAddress, message.serverPort);
  return { span, measurement };
}

export function endRedisSpan({ span, measurement }: RedisOperation, error: unknown): void {
  endOperation(measurement, error === undefined ? undefined : redisErrorType(error));
  if (error !== undefined) {
    span.setAttribute('error.type', redisErrorType(error));
    const e = error as { name?: string; message?: unknown; stack?: unknown };
    const message = typeof e?.message === 'string' ? e.message : String(error);
    const safe = sanitizedRedisMessage(message);
    const stack = typeof e?.stack === 'string' ? (safe === message ? e.stack : e.stack.split(message).join(safe)) : undefined;
    span.recordException({ name: e?.name, message: safe, stack });
    span.setStatus({ code: SpanStatusCode.ERROR, message: safe });
  }
  span.end();
}

/** Redis echoes the arguments of a command it does not know (`ERR unknown command 'x', with args beginning with: 'value' `). */
export function sanitizedRedisMessage(message: string): string {
  const at = message.indexOf('with args beginning with:');
  return at === -1 ? message : `${message.slice(0, at)}with args beginning with: ?`;
}

function redisErrorType(error: unknown): string {
  // Redis replies carry their kind as the first word: "WRONGTYPE Operation against a key…".
  const message = (error as Error)?.message ?? '';
  const prefix = /^([A-Z]{3,})\s/.exec(message)?.[1];
  return prefix ?? (error as Error)?.name ?? '_OTHER';
}

/**
 * While a batch span is open (MULTI or a pipeline being sent, synchronously), the commands it carries
 * make no spans of their own. ioredis's pipelines have no channel, so its pipeline wrap shares this.
 */
export interface BatchState {
  depth: number;
}
export const ioredisBatch: BatchState = { depth: 0 };
