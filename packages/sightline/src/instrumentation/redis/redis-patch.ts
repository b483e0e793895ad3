// For Redis clients older than their diagnostics channels (ioredis < 5.11, @redis/client < 5.12): a
// wrap of the client's sendCommand, making the same span the channel hook makes. Versions that
// publish channels are left alone, so a command is never traced twice. With these older versions a
// MULTI is not grouped (each command is its own span); plain ioredis pipelines are, in every version.
import { instrumentationOf, LEAVE_ALONE, TRACE, type Instrumenting } from '../inside-trace.js';
import type { Patcher } from '../toolkit/patcher.js';
import { tryStart } from '../toolkit/safe-start.js';
import { endRedisSpan, ioredisBatch, startRedisSpan, type CommandMessage, type RedisTelemetry } from './redis-span.js';

const TRACED = Symbol('sightline.redisCommandTraced');

type Proto = Record<string | symbol, unknown>;

function startCommandSpan(telemetry: RedisTelemetry, message: CommandMessage, argsIncludeCommand: boolean, instrumenting: Instrumenting) {
  return tryStart('redis-patch', 'trace a Redis command', () =>
    startRedisSpan(telemetry, message, false, argsIncludeCommand, instrumenting === TRACE),
  );
}

interface IoredisCommand {
  name?: string;
  args?: unknown[];
  promise?: Promise<unknown>;
  [TRACED]?: boolean;
}
interface IoredisClient {
  options?: { host?: string; port?: number; db?: number; path?: string };
  condition?: { select?: number };
}

/** Where an ioredis client's commands go: its db index and server (or Unix socket). */
function ioredisTarget(client: IoredisClient | undefined): Pick<CommandMessage, 'database' | 'serverAddress' | 'serverPort'> {
  const o = client?.options ?? {};
  return {
    database: client?.condition?.select ?? o.db ?? 0,
    serverAddress: o.path ?? o.host ?? 'localhost',
    serverPort: o.path ? undefined : (o.port ?? 6379),
  };
}

type IoredisSend = (this: IoredisClient, command: IoredisCommand, stream?: unknown) => unknown;

export function patchOldIoredis(patcher: Patcher, ioredis: unknown, telemetry: RedisTelemetry): void {
  const Redis = ((ioredis as { default?: unknown })?.default ?? ioredis) as { prototype?: Proto } | undefined;
  const proto = Redis?.prototype;
  // 5.11 and later publish `ioredis:command`, built by _buildCommandContext.
  if (proto === undefined || typeof proto._buildCommandContext === 'function') return;
  patcher.wrap<IoredisSend>(
    proto,
    'sendCommand',
    (sendCommand) =>
      function (this: IoredisClient, command: IoredisCommand, stream?: unknown) {
        // A command passes here again when the offline queue flushes or a reconnect resends it.
        if (!command || command[TRACED] || ioredisBatch.depth > 0) return sendCommand.call(this, command, stream);
        const instrumenting = instrumentationOf(telemetry.duration.enabled);
        if (instrumenting === LEAVE_ALONE) return sendCommand.call(this, command, stream);
        command[TRACED] = true;
        const operation = startCommandSpan(
          telemetry,
          { command: command.name, args: command.args, ...ioredisTarget(this) },
          false,
          instrumenting,
        );
        if (operation !== undefined && command.promise instanceof Promise) {
          command.promise.then(
            () => endRedisSpan(operation, undefined),
            (error: unknown) => endRedisSpan(operation, error),
          );
        } else if (operation !== undefined) endRedisSpan(operation, undefined);
        return sendCommand.call(this, command, stream);
      },
  );
}

interface NodeRedisClient {
  options?: { socket?: { host?: string; port?: number; path?: string }; database?: number };
}

type NodeRedisSend = (this: NodeRedisClient, args: unknown[], options?: unknown) => Promise<unknown>;

export function patchOldNodeRedis(patcher: Patcher, client: unknown, telemetry: RedisTelemetry): void {
  const createClient = (client as { createClient?: () => object })?.createClient;
  if (typeof createClient !== 'function') return;
  // The client class is not exported: an unconnected client (no socket is opened) leads to it.
  let proto: Proto | null = Object.getPrototypeOf(createClient()) as Proto | null;
  while (proto !== null && !Object.prototype.hasOwnProperty.call(proto, 'sendCommand'))
    proto = Object.getPrototypeOf(proto) as Proto | null;
  // 5.12 and later trace sendCommand through `node-redis:command` themselves.
  if (proto === null || typeof proto.sendCommand !== 'function' || proto.sendCommand.toString().includes('TRACE_COMMAND')) return;
  patcher.wrap<NodeRedisSend>(
    proto,
    'sendCommand',
    (sendCommand) =>
      function (this: NodeRedisClient, args: unknown[], options?: unknown) {
        if (!Array.isArray(args)) return sendCommand.call(this, args, options);
        const instrumenting = instrumentationOf(telemetry.duration.enabled);
        if (instrumenting === LEAVE_ALONE) return sendCommand.call(this, args, options);
        const socket = this.options?.socket ?? {};
        const operation = startCommandSpan(
          telemetry,
          {
            command: String(args[0]),
            args,
            database: this.options?.database ?? 0,
            serverAddress: socket.path ?? socket.host ?? 'localhost',
            serverPort: socket.path ? undefined : (socket.port ?? 6379),
          },
          true,
          instrumenting,
        );
        const result = sendCommand.call(this, args, options);
        if (operation !== undefined) {
          result.then(
            () => endRedisSpan(operation, undefined),
            (error: unknown) => endRedisSpan(operation, error),
          );
        }
        return result;
      },
  );
}

interface IoredisPipeline {
  _transactions?: number;
  _queue?: unknown[];
  promise?: Promise<unknown>;
  redis?: IoredisClient;
}

/**
 * An ioredis pipeline (not a MULTI, which ioredis publishes on `ioredis:batch` itself) becomes one
 * PIPELINE span with its command count; the commands it sends while the span is open make none.
 */
type PipelineExec = (this: IoredisPipeline, ...args: unknown[]) => unknown;

export function patchIoredisPipeline(patcher: Patcher, ioredis: unknown, telemetry: RedisTelemetry): void {
  const proto = (ioredis as { Pipeline?: { prototype?: Proto } })?.Pipeline?.prototype;
  patcher.wrap<PipelineExec>(
    proto,
    'exec',
    (exec) =>
      function (this: IoredisPipeline, ...args: unknown[]) {
        // A MULTI on 5.11+ reaches here inside its own `ioredis:batch` span, already open.
        if (ioredisBatch.depth > 0 || (this._transactions ?? 0) > 0) return exec.apply(this, args);
        const instrumenting = instrumentationOf(telemetry.duration.enabled);
        if (instrumenting === LEAVE_ALONE) return exec.apply(this, args);
        // Older versions publish no MULTI batch: a queue wrapped in MULTI ... EXEC is named for it.
        const queue = (this._queue ?? []) as Array<{ name?: string }>;
        const multi = queue[0]?.name === 'multi';
        const operation = tryStart('ioredis-pipeline', 'trace a Redis pipeline', () =>
          startRedisSpan(
            telemetry,
            {
              batchMode: multi ? 'MULTI' : 'PIPELINE',
              batchSize: multi ? Math.max(queue.length - 2, 0) : queue.length,
              ...ioredisTarget(this.redis),
            },
            true,
            false,
            instrumenting === TRACE,
          ),
        );
        if (operation === undefined) return exec.apply(this, args);
        ioredisBatch.depth++;
        let result: unknown;
        try {
          result = exec.apply(this, args);
        } finally {
          ioredisBatch.depth--;
        }
        // Failed commands come back as [error, reply] pairs; only a failed send rejects the pipeline.
        const done = result instanceof Promise ? result : this.promise;
        if (done instanceof Promise)
          done.then(
            () => endRedisSpan(operation, undefined),
            (error: unknown) => endRedisSpan(operation, error),
          );
        else endRedisSpan(operation, undefined);
        return result;
      },
  );
}
