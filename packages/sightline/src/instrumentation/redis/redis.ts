// Redis clients that publish TracingChannels: ioredis (5.11+: `ioredis:command`, `ioredis:batch`)
// and node-redis (@redis/client 5.12+: `node-redis:command`, `node-redis:batch`). One CLIENT span per
// command inside a trace; a MULTI or pipeline batch is one span with its command count, and the
// commands it carries make no spans of their own (ioredis publishes MULTI only; its plain pipelines
// are wrapped in redis-patch.ts). Older versions publish nothing; redis-patch.ts wraps their
// sendCommand instead. Query text keeps the command and its key, never values.
import dc, { type TracingChannelSubscribers } from 'node:diagnostics_channel';
import type { InstrumentationContext } from '../instrumentation.js';
import { instrumentationOf, LEAVE_ALONE, TRACE } from '../inside-trace.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { tryStart } from '../toolkit/safe-start.js';
import { patchIoredisPipeline, patchOldIoredis, patchOldNodeRedis } from './redis-patch.js';
import {
  endRedisSpan,
  ioredisBatch,
  SPAN,
  startRedisSpan,
  type BatchState,
  type CommandMessage,
  type RedisTelemetry,
} from './redis-span.js';
import { dbOperationDuration } from '../toolkit/operation-duration.js';

const nodeRedisBatch: BatchState = { depth: 0 };

/** Subscribers for one client's pair of channels; `argsIncludeCommand` is node-redis's layout. */
class RedisChannels {
  private readonly command;
  private readonly batch;

  constructor(
    private readonly prefix: string,
    private readonly argsIncludeCommand: boolean,
    private readonly telemetry: RedisTelemetry,
    private readonly batchState: BatchState,
  ) {
    this.command = dc.tracingChannel(`${prefix}:command`);
    this.batch = dc.tracingChannel(`${prefix}:batch`);
  }

  private start(message: CommandMessage, isBatch: boolean): void {
    // Commands a batch carries are counted by the batch span; their start runs inside the batch's own.
    if (isBatch) this.batchState.depth++;
    else if (this.batchState.depth > 0) return;
    const instrumenting = instrumentationOf(this.telemetry.duration.enabled);
    if (instrumenting === LEAVE_ALONE) return;
    message[SPAN] = tryStart(`${this.prefix}-start`, `trace a ${this.prefix} command`, () =>
      startRedisSpan(this.telemetry, message, isBatch, this.argsIncludeCommand, instrumenting === TRACE),
    );
  }

  private finish(message: CommandMessage): void {
    const operation = message[SPAN];
    if (operation === undefined) return;
    message[SPAN] = undefined;
    endRedisSpan(operation, message.error);
  }

  // Only the three events used: the channel publishes the others (asyncStart, error) to no one then,
  // rather than to two empty functions per command. A failure is read from the message's `error`,
  // which the channel sets before it publishes end or asyncEnd, subscribed or not.
  private subscribers(isBatch: boolean): TracingChannelSubscribers<object> {
    // Node skips the events a subscriber object leaves out (22, 24 and 26 alike); its types list all five.
    return {
      start: (m: unknown) => this.start(m as CommandMessage, isBatch),
      end: (m: unknown) => {
        if (isBatch) this.batchState.depth = Math.max(0, this.batchState.depth - 1);
        // A synchronous throw publishes error before end, and no asyncEnd follows.
        if ((m as CommandMessage).error !== undefined) this.finish(m as CommandMessage);
      },
      asyncEnd: (m: unknown) => this.finish(m as CommandMessage),
    } as Partial<TracingChannelSubscribers<object>> as TracingChannelSubscribers<object>;
  }

  private readonly commandSubscribers = this.subscribers(false);
  private readonly batchSubscribers = this.subscribers(true);

  subscribe(): void {
    this.command.subscribe(this.commandSubscribers);
    this.batch.subscribe(this.batchSubscribers);
  }

  unsubscribe(): void {
    this.command.unsubscribe(this.commandSubscribers);
    this.batch.unsubscribe(this.batchSubscribers);
  }
}

/** The two clients differ only in their channels' names and layout, and in the patches for old versions. */
interface RedisClientKind {
  prefix: string;
  argsIncludeCommand: boolean;
  batch: BatchState;
  packageName: string;
  patchOnLoad(patcher: Patcher, exports: unknown, telemetry: RedisTelemetry): void;
}

class RedisInstrumentation extends PatchingInstrumentation {
  constructor(
    readonly name: 'ioredis' | 'redis',
    private readonly client: RedisClientKind,
  ) {
    super();
  }

  enable(ctx: InstrumentationContext): void {
    const c = this.client;
    const telemetry: RedisTelemetry = { tracer: ctx.tracer, duration: dbOperationDuration(ctx.meter) };
    const channels = new RedisChannels(c.prefix, c.argsIncludeCommand, telemetry, c.batch);
    channels.subscribe();
    this.onDisable(() => channels.unsubscribe());
    this.onLoad(c.packageName, (exports) => c.patchOnLoad(this.patcher, exports, telemetry));
  }
}

export class IoredisInstrumentation extends RedisInstrumentation {
  constructor() {
    super('ioredis', {
      prefix: 'ioredis',
      argsIncludeCommand: false,
      batch: ioredisBatch,
      packageName: 'ioredis',
      patchOnLoad(patcher, ioredis, telemetry) {
        patchOldIoredis(patcher, ioredis, telemetry);
        patchIoredisPipeline(patcher, ioredis, telemetry);
      },
    });
  }
}

export class NodeRedisInstrumentation extends RedisInstrumentation {
  constructor() {
    super('redis', {
      prefix: 'node-redis',
      argsIncludeCommand: true,
      batch: nodeRedisBatch,
      packageName: '@redis/client',
      patchOnLoad: patchOldNodeRedis,
    });
  }
}
