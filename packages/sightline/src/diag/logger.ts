// Sightline's own diagnostics: one place that decides what reaches stderr, and the bridge that
// lets @opentelemetry/api `diag` messages from contrib instrumentations surface at the same level.
import { DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

const LEVEL_RANK: Record<LogLevel, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4, verbose: 5, all: 6 };

export const LOG_LEVELS = Object.keys(LEVEL_RANK) as LogLevel[];

export function toDiagLogLevel(level: LogLevel): DiagLogLevel {
  switch (level) {
    case 'none':
      return DiagLogLevel.NONE;
    case 'error':
      return DiagLogLevel.ERROR;
    case 'warn':
      return DiagLogLevel.WARN;
    case 'info':
      return DiagLogLevel.INFO;
    case 'debug':
      return DiagLogLevel.DEBUG;
    case 'verbose':
      return DiagLogLevel.VERBOSE;
    default:
      return DiagLogLevel.ALL;
  }
}

type Sink = (line: string) => void;

class Logger implements DiagLogger {
  private rank = LEVEL_RANK.warn;
  private sink: Sink = (line) => {
    try {
      process.stderr.write(line + '\n');
    } catch {
      // stderr closed: nothing sensible left to do with a diagnostic.
    }
  };
  private readonly said = new Set<string>();

  setLevel(level: LogLevel): void {
    this.rank = LEVEL_RANK[level];
  }

  /** Tests capture output here instead of stderr. */
  setSink(sink: Sink): void {
    this.sink = sink;
  }

  enabled(level: Exclude<LogLevel, 'none' | 'all'>): boolean {
    return LEVEL_RANK[level] <= this.rank;
  }

  private write(level: Exclude<LogLevel, 'none' | 'all'>, message: string, args: unknown[]): void {
    if (LEVEL_RANK[level] > this.rank) return;
    let line = `sightline: ${message}`;
    for (const arg of args) line += ' ' + describe(arg);
    this.sink(line);
  }

  error(message: string, ...args: unknown[]): void {
    this.write('error', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.write('warn', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.write('info', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.write('debug', message, args);
  }
  verbose(message: string, ...args: unknown[]): void {
    this.write('verbose', message, args);
  }

  /** A warning that is said once per process, however often its cause recurs. */
  warnOnce(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.warn(message);
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export const log = new Logger();
