// BullMQ sandboxed processors (`new Worker(queue, '/path/to/processor.js')`) run each job in a child
// process (or worker thread) from BullMQ's pool. The parent's CONSUMER span is made as for any
// worker; this module carries it across the process boundary. In the parent, the Start message that
// hands a job to the child gets the CONSUMER span's context in the job's `opts.telemetry.metadata`
// (the copy sent to the child only). In the child, which inherits `--import sightline/register`
// through BullMQ's own execArgv, each job runs under an INTERNAL span `sandbox {queue}` that
// continues that context, so the processor's queries and calls nest under the parent's CONSUMER span.
import { createRequire } from 'node:module';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { log } from '../../diag/logger.js';
import { endWhenSettled, injectCarrier } from '../messaging.js';
import type { Patcher } from '../toolkit/patcher.js';
import { tryStart } from '../toolkit/safe-start.js';

interface JobJson {
  id?: string;
  name?: string;
  queueName?: string;
  attemptsMade?: number;
  opts?: { telemetry?: { metadata?: string; omitContext?: boolean }; [key: string]: unknown };
}
interface StartMessage {
  cmd?: unknown;
  job?: JobJson;
  [key: string]: unknown;
}
type Send = (this: unknown, msg: StartMessage) => Promise<void>;
type Processor = (job: JobJson, token?: string, signal?: unknown) => Promise<unknown>;
type Init = (this: { processor?: Processor }, processorFile: string) => Promise<void>;

/** Parent side: the job sent to a sandbox child carries the active (CONSUMER) span's context. */
export function patchChild(patcher: Patcher, Child: { prototype: object } | undefined): void {
  patcher.wrap<Send>(
    Child?.prototype,
    'send',
    (send) =>
      function (this: unknown, msg: StartMessage) {
        // Only the Start message carries a job; the app's request to omit context is kept.
        const job = msg?.job;
        if (job === undefined || job === null || typeof job !== 'object' || job.opts?.telemetry?.omitContext) return send.call(this, msg);
        const active = context.active();
        if (trace.getSpan(active)?.isRecording() !== true) return send.call(this, msg);
        const withContext = tryStart('bullmq-sandbox-send', 'pass trace context to a BullMQ sandboxed processor', () => {
          const opts = job.opts ?? {};
          return { ...msg, job: { ...job, opts: { ...opts, telemetry: { ...opts.telemetry, metadata: injectCarrier(active) } } } };
        });
        return send.call(this, withContext ?? msg);
      },
  );
}

function parentOf(metadata: unknown) {
  if (typeof metadata !== 'string') return undefined;
  try {
    const extracted = propagation.extract(ROOT_CONTEXT, JSON.parse(metadata) as Record<string, string>);
    return trace.getSpanContext(extracted) === undefined ? undefined : extracted;
  } catch {
    return undefined;
  }
}

/** Child side: each job's processor runs under a span continuing the parent's CONSUMER span. */
export function patchChildProcessor(patcher: Patcher, ChildProcessor: { prototype: object } | undefined, tracer: Tracer): void {
  patcher.wrap<Init>(
    ChildProcessor?.prototype,
    'init',
    (init) =>
      async function (this: { processor?: Processor }, processorFile: string) {
        await init.call(this, processorFile);
        const processor = this.processor;
        if (typeof processor !== 'function') return;
        this.processor = function (job: JobJson, token?: string, signal?: unknown) {
          // A job with no context (added outside any trace, or before Sightline ran) runs as it would,
          // and outside the trace of whichever job made the pool start this child (its TRACEPARENT).
          const parent = parentOf(job?.opts?.telemetry?.metadata);
          if (parent === undefined) return context.with(ROOT_CONTEXT, () => processor(job, token, signal));
          const span = tryStart('bullmq-sandbox-process', 'trace a BullMQ sandboxed job', () => {
            const queue = job.queueName ?? '';
            return tracer.startSpan(
              `sandbox ${queue}`,
              {
                kind: SpanKind.INTERNAL,
                attributes: {
                  'messaging.system': 'bullmq',
                  'messaging.destination.name': queue,
                  ...(job.id === undefined ? {} : { 'messaging.message.id': String(job.id) }),
                  'messaging.bullmq.job.attempt': (job.attemptsMade ?? 0) + 1,
                  'code.file.path': processorFile,
                },
              },
              parent,
            );
          });
          if (span === undefined) return processor(job, token, signal);
          return endWhenSettled(
            span,
            context.with(trace.setSpan(parent, span), () => processor(job, token, signal)),
          );
        };
      },
  );
}

/** BullMQ's sandbox entry files; in such a process the CommonJS ChildProcessor is patched before it loads. */
const SANDBOX_MAIN = /[/\\]node_modules[/\\]bullmq[/\\]dist[/\\]cjs[/\\]classes[/\\]main(?:-worker)?\.js$/;

/**
 * In a child started by BullMQ, patches its ChildProcessor before main.js requires it: the require
 * hook only sees package names, and main.js requires the file relatively. (BullMQ declares no
 * `exports`, so Node loads its CommonJS build, and starts this entry, for ES-module apps too.)
 */
export function patchSandboxChildEntry(patcher: Patcher, tracer: Tracer, entry = process.argv[1]): void {
  if (entry === undefined || !SANDBOX_MAIN.test(entry)) return;
  try {
    const requireBeside = createRequire(entry);
    patchChildProcessor(
      patcher,
      (requireBeside('./child-processor.js') as { ChildProcessor?: { prototype: object } }).ChildProcessor,
      tracer,
    );
  } catch (error) {
    log.warnOnce('bullmq-sandbox-entry', `could not instrument BullMQ's sandbox child: ${(error as Error).message}`);
  }
}
