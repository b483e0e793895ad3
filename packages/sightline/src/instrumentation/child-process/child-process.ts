// A child process started inside a span continues its trace: fork(), spawn(), exec() and execFile()
// all go through ChildProcess#spawn, where the context's TRACEPARENT, TRACESTATE and BAGGAGE are added
// to the child's environment (OpenTelemetry's environment-variable carrier). A child that runs
// Sightline (the preload is inherited by fork(), or set in NODE_OPTIONS) takes that context as its
// own at start; any other program may read the same variables or ignore them.
import childProcess from 'node:child_process';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { log } from '../../diag/logger.js';
import { contextToEnv } from '../../propagation/env-carrier.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';

interface SpawnOptions {
  envPairs?: string[];
}
type Spawn = (this: unknown, options: SpawnOptions) => unknown;

/** Adds the active context's variables to the child's environment, unless the caller set them itself. */
function addContext(options: SpawnOptions): void {
  const pairs = options?.envPairs;
  if (!Array.isArray(pairs)) return;
  const active = context.active();
  const span = trace.getSpanContext(active);
  if (span === undefined || !isSpanContextValid(span)) return;
  for (const [name, value] of Object.entries(contextToEnv(active))) {
    const prefix = `${name}=`;
    const index = pairs.findIndex((pair) => pair.startsWith(prefix));
    if (index === -1) pairs.push(prefix + value);
    // The same value as this process's own environment is inherited, and stale: replace it.
    // A different one was set by the caller for this child: keep it.
    // eslint-disable-next-line no-restricted-properties -- the child inherits this process's live environment, not its configuration
    else if (pairs[index] === prefix + (process.env[name] ?? '')) pairs[index] = prefix + value;
  }
}

export class ChildProcessInstrumentation extends PatchingInstrumentation {
  readonly name = 'child_process' as const;

  enable(): void {
    this.patcher.wrap<Spawn>(
      childProcess.ChildProcess.prototype,
      'spawn',
      (original) =>
        function spawn(this: unknown, options: SpawnOptions) {
          try {
            addContext(options);
          } catch (error) {
            log.warnOnce('child-process', `could not pass trace context to a child process: ${(error as Error).message}`);
          }
          return original.call(this, options);
        },
    );
  }
}
