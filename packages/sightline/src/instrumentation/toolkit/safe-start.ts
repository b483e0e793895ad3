// Instrumentation never throws into user code: starting a span for a library call is tried, and if it
// fails the library call runs untraced, with one warning per kind of failure.
import { log } from '../../diag/logger.js';

/**
 * Runs `start` (which begins a span for a library call, and whatever goes with it); when it throws,
 * warns once under `key` ("could not <what>: <reason>") and returns undefined, so the caller runs
 * the library call as if Sightline were not there.
 */
export function tryStart<T>(key: string, what: string, start: () => T): T | undefined {
  try {
    return start();
  } catch (error) {
    warnStartFailed(key, what, error);
    return undefined;
  }
}

/** The warning tryStart gives, for a hot path that catches the failure itself (no closure per call). */
export function warnStartFailed(key: string, what: string, error: unknown): void {
  log.warnOnce(key, `could not ${what}; it runs untraced: ${(error as Error)?.message ?? String(error)}`);
}
