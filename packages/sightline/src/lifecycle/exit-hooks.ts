// Makes sure ended spans leave the process however it ends, without ever keeping alive a process
// that would otherwise have exited.
import type { Sightline } from './sightline.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * `handleSignals: false` leaves SIGTERM and SIGINT to the caller: a `sightline run` worker drains its
 * connections on them before it flushes (see run-worker.ts).
 */
export function installExitHooks(sdk: Sightline, { handleSignals = true } = {}): () => void {
  // process.exit(), including from the app's own signal handler, and the natural end: nothing
  // asynchronous runs after 'exit', so the flush blocks on the export worker with a deadline.
  const onExit = (): void => {
    if (sdk.running) sdk.flushSync(sdk.exitBudget());
  };

  // The event loop ran dry: flush, which keeps the process alive only until the worker answers.
  const onBeforeExit = (): void => {
    if (sdk.hasUnflushed()) void sdk.forceFlush(sdk.exitBudget());
  };

  const signalHandlers = (handleSignals ? SIGNALS : []).map((signal) => {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) {
        // The app handles this signal itself and decides when to exit; 'exit' catches what is left.
        // Not the exit budget: that would start its clock while the app may still have seconds of cleanup to do.
        void sdk.forceFlush();
        return;
      }
      // Nobody else listens: Node's default would have ended the process, so end it the same way,
      // after the flush, by re-raising the signal without our listener (exit status 128 + signal).
      void sdk.shutdown(sdk.exitBudget()).finally(() => {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  process.on('exit', onExit);
  process.on('beforeExit', onBeforeExit);

  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('beforeExit', onBeforeExit);
    for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  };
}
