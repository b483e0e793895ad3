// BullMQ publishes no diagnostics channels, and its own telemetry needs a Telemetry object passed to
// every Queue and Worker. Sightline wraps Queue#add / #addBulk (a PRODUCER span `send {queue}`, whose
// context rides in the job's own `opts.telemetry.metadata`, the field bullmq-otel uses, never in the
// job data) and Worker#callProcessJob (a CONSUMER span `process {queue}` per attempt). A queue or
// worker given BullMQ's own telemetry option is left to it, so no span is made twice. Sandboxed
// processors, which run in a child process, are followed there by sandbox.ts.
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { InstrumentationContext } from '../instrumentation.js';
import { consumerParent, endWhenSettled, injectCarrier, messagingAttributes } from '../messaging.js';
import { messagingDurations } from '../toolkit/operation-duration.js';

type MessagingDurations = ReturnType<typeof messagingDurations>;
import type { MessagingSettings } from '../settings.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { tryStart } from '../toolkit/safe-start.js';
import { patchChild, patchChildProcessor, patchSandboxChildEntry } from './sandbox.js';

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
type Proto<T> = { prototype: T };

function withCarrier(opts: JobOpts | undefined, carrier: string): JobOpts {
  // The app's own metadata, or its request to omit context, wins.
  if (opts?.telemetry?.metadata || opts?.telemetry?.omitContext) return opts ?? {};
  return { ...opts, telemetry: { ...opts?.telemetry, metadata: carrier } };
}

function patchQueue(patcher: Patcher, Queue: Proto<object> | undefined, tracer: Tracer, durations: MessagingDurations): void {
  const proto = Queue?.prototype;
  patcher.wrap<Add>(
    proto,
    'add',
    (add) =>
      function (this: QueueLike, name: string, data: unknown, opts?: JobOpts) {
        if (this.opts?.telemetry) return add.call(this, name, data, opts);
        const started = tryStart('bullmq-add', 'trace a BullMQ add', () => {
          const span = tracer.startSpan(
            `send ${this.name}`,
            {
              kind: SpanKind.PRODUCER,
              attributes: { ...messagingAttributes('bullmq', this.name, 'send'), 'messaging.bullmq.job.name': name },
            },
            context.active(),
          );
          const ctx = trace.setSpan(context.active(), span);
          const measurement = durations.send.begin(span, 'bullmq', 'send', this.name, 'send', undefined);
          return { span, ctx, measurement, opts: withCarrier(opts, injectCarrier(ctx)) };
        });
        if (started === undefined) return add.call(this, name, data, opts);
        const { span, ctx, measurement } = started;
        const added = context
          .with(ctx, () => add.call(this, name, data, started.opts))
          .then((job) => {
            if (job?.id !== undefined) span.setAttribute('messaging.message.id', String(job.id));
            return job;
          });
        return endWhenSettled(span, added, measurement);
      },
  );
  patcher.wrap<AddBulk>(
    proto,
    'addBulk',
    (addBulk) =>
      function (this: QueueLike, jobs) {
        if (this.opts?.telemetry || !Array.isArray(jobs)) return addBulk.call(this, jobs);
        const started = tryStart('bullmq-add-bulk', 'trace a BullMQ addBulk', () => {
          const span = tracer.startSpan(
            `send ${this.name}`,
            {
              kind: SpanKind.PRODUCER,
              attributes: { ...messagingAttributes('bullmq', this.name, 'send'), 'messaging.batch.message_count': jobs.length },
            },
            context.active(),
          );
          const ctx = trace.setSpan(context.active(), span);
          const carrier = injectCarrier(ctx);
          const measurement = durations.send.begin(span, 'bullmq', 'send', this.name, 'send', undefined);
          return { span, ctx, measurement, jobs: jobs.map((job) => ({ ...job, opts: withCarrier(job.opts, carrier) })) };
        });
        if (started === undefined) return addBulk.call(this, jobs);
        return endWhenSettled(
          started.span,
          context.with(started.ctx, () => addBulk.call(this, started.jobs)),
          started.measurement,
        );
      },
  );
}

function patchWorker(
  patcher: Patcher,
  Worker: Proto<object> | undefined,
  tracer: Tracer,
  config: MessagingSettings,
  durations: MessagingDurations,
): void {
  patcher.wrap<CallProcessJob>(
    Worker?.prototype,
    'callProcessJob',
    (callProcessJob) =>
      function (this: QueueLike, job: Job, token: string, signal?: unknown) {
        if (this.opts?.telemetry) return callProcessJob.call(this, job, token, signal);
        const started = tryStart('bullmq-process', 'trace a BullMQ job', () => {
          // The parent comes from the job, never from context.active(): the worker's loop runs in
          // whatever context created the Worker, which has nothing to do with this job.
          const { parent, links } = consumerParent(job?.opts?.telemetry?.metadata, config);
          const attributes = messagingAttributes('bullmq', this.name, 'process');
          if (job?.id !== undefined) attributes['messaging.message.id'] = String(job.id);
          if (job?.name !== undefined) attributes['messaging.bullmq.job.name'] = job.name;
          attributes['messaging.bullmq.job.attempt'] = (job?.attemptsMade ?? 0) + 1;
          const span = tracer.startSpan(`process ${this.name}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
          const measurement = durations.process.begin(span, 'bullmq', 'process', this.name, 'process', undefined);
          return { span, measurement, ctx: trace.setSpan(parent, span) };
        });
        if (started === undefined) return callProcessJob.call(this, job, token, signal);
        return endWhenSettled(
          started.span,
          context.with(started.ctx, () => callProcessJob.call(this, job, token, signal)),
          started.measurement,
        );
      },
  );
}

export class BullmqInstrumentation extends PatchingInstrumentation {
  readonly name = 'bullmq' as const;

  // BullMQ declares no `exports`, so Node loads its CommonJS build (`main`) for ES-module apps too:
  // the require hook sees every load, and no ES-module hook is needed.
  enable(ctx: InstrumentationContext): void {
    const durations = messagingDurations(ctx.meter);
    this.onLoad('bullmq', (bullmq) => {
      const b = bullmq as { Queue?: Proto<object>; Worker?: Proto<object>; Child?: Proto<object>; ChildProcessor?: Proto<object> };
      patchQueue(this.patcher, b.Queue, ctx.tracer, durations);
      patchWorker(this.patcher, b.Worker, ctx.tracer, ctx.settings.messaging, durations);
      patchChild(this.patcher, b.Child);
      patchChildProcessor(this.patcher, b.ChildProcessor, ctx.tracer);
    });
    patchSandboxChildEntry(this.patcher, ctx.tracer);
  }
}
