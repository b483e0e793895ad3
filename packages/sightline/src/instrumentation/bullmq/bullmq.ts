// BullMQ publishes no diagnostics channels, and its own telemetry needs a Telemetry object passed to
// every Queue and Worker. Sightline wraps Queue#add / #addBulk (a PRODUCER span `send {queue}`, whose
// context rides in the job's own `opts.telemetry.metadata`, the field bullmq-otel uses, never in the
// job data) and Worker#callProcessJob (a CONSUMER span `process {queue}` per attempt). A queue or
// worker given BullMQ's own telemetry option is left to it, so no span is made twice. Sandboxed
// processors, which run in a child process, are followed there by sandbox.ts.
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { MessagingConfig } from '../../config/config.js';
import { log } from '../../diag/logger.js';
import type { Instrumentation, InstrumentationContext } from '../instrumentation.js';
import { consumerParent, endWhenSettled, injectCarrier, messagingAttributes } from '../messaging.js';
import { onModuleLoad } from '../module-hook.js';
import { patchChild, patchChildProcessor, patchSandboxChildEntry } from './sandbox.js';

const PATCHED = Symbol.for('sightline.bullmqPatched');

interface JobOpts {
  telemetry?: { metadata?: string; omitContext?: boolean };
  [key: string]: unknown;
}
interface Job {
  id?: string;
  name?: string;
  attemptsMade?: number;
  opts?: JobOpts;
}
interface QueueLike {
  name: string;
  opts?: { telemetry?: unknown };
}
type Add = (this: QueueLike, name: string, data: unknown, opts?: JobOpts) => Promise<Job>;
type AddBulk = (this: QueueLike, jobs: Array<{ name: string; data: unknown; opts?: JobOpts }>) => Promise<Job[]>;
type CallProcessJob = (this: QueueLike, job: Job, token: string, signal?: unknown) => Promise<unknown>;
type Proto<T> = { prototype: Record<string | symbol, unknown> & T };

function withCarrier(opts: JobOpts | undefined, carrier: string): JobOpts {
  // The app's own metadata, or its request to omit context, wins.
  if (opts?.telemetry?.metadata || opts?.telemetry?.omitContext) return opts ?? {};
  return { ...opts, telemetry: { ...opts?.telemetry, metadata: carrier } };
}

function patchQueue(Queue: Proto<{ add?: Add; addBulk?: AddBulk }> | undefined, tracer: Tracer): void {
  const proto = Queue?.prototype;
  if (proto === undefined || proto[PATCHED] || typeof proto.add !== 'function') return;
  proto[PATCHED] = true;
  const add = proto.add;
  proto.add = function (this: QueueLike, name: string, data: unknown, opts?: JobOpts) {
    if (this.opts?.telemetry) return add.call(this, name, data, opts);
    let span;
    let ctx;
    try {
      span = tracer.startSpan(`send ${this.name}`, {
        kind: SpanKind.PRODUCER,
        attributes: { ...messagingAttributes('bullmq', this.name, 'send'), 'messaging.bullmq.job.name': name },
      }, context.active());
      ctx = trace.setSpan(context.active(), span);
      opts = withCarrier(opts, injectCarrier(ctx));
    } catch (error) {
      log.warnOnce('bullmq-add', `could not trace a BullMQ add: ${(error as Error).message}`);
      return add.call(this, name, data, opts);
    }
    const producer = span;
    const added = context.with(ctx, () => add.call(this, name, data, opts)).then((job) => {
      if (job?.id !== undefined) producer.setAttribute('messaging.message.id', String(job.id));
      return job;
    });
    return endWhenSettled(producer, added);
  };
  const addBulk = proto.addBulk;
  if (typeof addBulk === 'function') {
    proto.addBulk = function (this: QueueLike, jobs) {
      if (this.opts?.telemetry || !Array.isArray(jobs)) return addBulk.call(this, jobs);
      let span;
      let ctx;
      let withContext;
      try {
        span = tracer.startSpan(`send ${this.name}`, {
          kind: SpanKind.PRODUCER,
          attributes: { ...messagingAttributes('bullmq', this.name, 'send'), 'messaging.batch.message_count': jobs.length },
        }, context.active());
        ctx = trace.setSpan(context.active(), span);
        const carrier = injectCarrier(ctx);
        withContext = jobs.map((job) => ({ ...job, opts: withCarrier(job.opts, carrier) }));
      } catch (error) {
        log.warnOnce('bullmq-add-bulk', `could not trace a BullMQ addBulk: ${(error as Error).message}`);
        return addBulk.call(this, jobs);
      }
      const producer = span;
      const jobsWithContext = withContext;
      return endWhenSettled(producer, context.with(ctx, () => addBulk.call(this, jobsWithContext)));
    };
  }
}

function patchWorker(Worker: Proto<{ callProcessJob?: CallProcessJob }> | undefined, tracer: Tracer, config: MessagingConfig): void {
  const proto = Worker?.prototype;
  if (proto === undefined || proto[PATCHED] || typeof proto.callProcessJob !== 'function') return;
  proto[PATCHED] = true;
  const callProcessJob = proto.callProcessJob;
  proto.callProcessJob = function (this: QueueLike, job: Job, token: string, signal?: unknown) {
    if (this.opts?.telemetry) return callProcessJob.call(this, job, token, signal);
    let span;
    let ctx;
    try {
      // The parent comes from the job, never from context.active(): the worker's loop runs in
      // whatever context created the Worker, which has nothing to do with this job.
      const { parent, links } = consumerParent(job?.opts?.telemetry?.metadata, config);
      const attributes = messagingAttributes('bullmq', this.name, 'process');
      if (job?.id !== undefined) attributes['messaging.message.id'] = String(job.id);
      if (job?.name !== undefined) attributes['messaging.bullmq.job.name'] = job.name;
      attributes['messaging.bullmq.job.attempt'] = (job?.attemptsMade ?? 0) + 1;
      span = tracer.startSpan(`process ${this.name}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
      ctx = trace.setSpan(parent, span);
    } catch (error) {
      log.warnOnce('bullmq-process', `could not trace a BullMQ job: ${(error as Error).message}`);
      return callProcessJob.call(this, job, token, signal);
    }
    return endWhenSettled(span, context.with(ctx, () => callProcessJob.call(this, job, token, signal)));
  };
}

function patchSandbox(b: { Child?: Parameters<typeof patchChild>[0]; ChildProcessor?: Parameters<typeof patchChildProcessor>[0] }, tracer: Tracer): void {
  patchChild(b.Child);
  patchChildProcessor(b.ChildProcessor, tracer);
}

export class BullmqInstrumentation implements Instrumentation {
  readonly name = 'bullmq' as const;
  // BullMQ declares no `exports`, so Node loads its CommonJS build (`main`) for ES-module apps too:
  // the require hook sees every load, and no ES-module hook is needed.
  enable(ctx: InstrumentationContext): void {
    onModuleLoad('bullmq', (bullmq) => {
      const b = bullmq as { Queue?: Proto<{ add?: Add }>; Worker?: Proto<{ callProcessJob?: CallProcessJob }> } & Parameters<typeof patchSandbox>[0];
      patchQueue(b.Queue, ctx.tracer);
      patchWorker(b.Worker, ctx.tracer, ctx.config.messaging);
      patchSandbox(b, ctx.tracer);
    });
    patchSandboxChildEntry(ctx.tracer);
  }

  disable(): void {}
}
