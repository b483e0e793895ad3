// What the logger bridges share: emitting a record without ever throwing into the app's logging
// call, and knowing when a bridge is already emitting, so that a logger writing through console (or
// console writing through a logger) is recorded once, not twice or in a loop.
import type { LogAttributes, Logger, LogRecord } from '@opentelemetry/api-logs';
import { attributesObject } from '../../logs/log-record.js';
import { SightlineLogger, type PairsLogRecord } from '../../logs/logger.js';
import { log } from '../../diag/logger.js';
import type { LogCorrelationSettings } from '../settings.js';

let depth = 0;

/** True while a bridge is emitting: console.* calls made meanwhile belong to that record. */
export function bridgeActive(): boolean {
  return depth > 0;
}

/** Builds and emits a record; a failure is said once and the app's call goes on. */
export function emitFromBridge(bridge: string, logger: Logger, make: () => LogRecord | PairsLogRecord | undefined): void {
  if (depth > 0) return;
  depth++;
  try {
    const record = make();
    if (record === undefined) return;
    if (!('attributePairs' in record)) logger.emit(record);
    // Sightline's own logger takes the list as it is; any other gets the object the API asks for.
    else if (logger instanceof SightlineLogger) logger.emitPairs(record);
    else {
      const { attributePairs, ...rest } = record;
      logger.emit({ ...rest, attributes: attributesObject(attributePairs) as LogAttributes });
    }
  } catch (error) {
    log.warnOnce(
      `${bridge}-emit`,
      `a ${bridge} record could not be exported (the line itself was written): ${(error as Error)?.message ?? error}`,
    );
  } finally {
    depth--;
  }
}

type StampKeys = Pick<LogCorrelationSettings, 'traceIdKey' | 'spanIdKey' | 'traceFlagsKey'>;

/** Whether a field is one Sightline itself stamped into the line: the record carries the ids natively. */
export function isStampedField(key: string, keys: StampKeys): boolean {
  return key === keys.traceIdKey || key === keys.spanIdKey || key === keys.traceFlagsKey;
}

/** Removes the fields Sightline itself stamped into the line (a line read back as a whole). */
export function withoutStampedFields(attributes: Record<string, unknown>, keys: StampKeys): void {
  delete attributes[keys.traceIdKey];
  delete attributes[keys.spanIdKey];
  delete attributes[keys.traceFlagsKey];
}
