// Severity numbers (logs data model): TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20,
// FATAL 21-24. The names here are what SIGHTLINE_LOGS_MIN_SEVERITY accepts and what the bridges map
// their loggers' levels to.

export const SEVERITY = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 } as const;

export const SEVERITY_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

export function severityOfName(name: SeverityName): number {
  return SEVERITY[name.toUpperCase() as keyof typeof SEVERITY];
}

/**
 * pino's and bunyan's numeric levels (trace 10, debug 20, info 30, warn 40, error 50, fatal 60) to
 * severity numbers; custom levels in between take the finer steps of the range below them.
 */
export function severityOfTenLevel(level: number): number {
  if (!(level > 0)) return 0;
  if (level < 10) return SEVERITY.TRACE;
  if (level >= 60) return Math.min(24, SEVERITY.FATAL + Math.floor((level - 60) / 10));
  const range = Math.floor(level / 10); // 1 trace .. 5 error
  const step = Math.min(3, Math.floor(((level % 10) * 4) / 10));
  return (range - 1) * 4 + 1 + step;
}
