// Typed readers for environment settings. Each bad value produces one warning that names the
// variable, the value and what is used instead, as the house style asks.
import { log } from '../diag/logger.js';

export type Env = Record<string, string | undefined>;

export class EnvReader {
  private readonly warned = new Set<string>();

  constructor(private readonly env: Env) {}

  /** warnBad, said once however many signals read the same variable. */
  warnBadOnce(name: string, value: string, problem: string, used: string): void {
    const key = `${name}\u0000${value}\u0000${problem}\u0000${used}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    warnBad(name, value, problem, used);
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** The first of several names that is set, e.g. a signal-specific one before the general one. */
  first(...names: string[]): { name: string; value: string } | undefined {
    for (const name of names) {
      const value = this.raw(name);
      if (value !== undefined) return { name, value };
    }
    return undefined;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return parseInteger(name, value, fallback, min, max);
  }

  ratio(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      warnBad(name, value, 'not a number between 0 and 1', String(fallback));
      return fallback;
    }
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    warnBad(name, value, 'not true or false', String(fallback));
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    warnBad(name, value, `not one of ${allowed.join(', ')}`, fallback);
    return fallback;
  }

  /** A size in bytes: a plain integer, or one with a unit (`64MiB`, `512KiB`, `1GiB`; KB/MB/GB are decimal). */
  bytes(name: string, fallback: number, min: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(value);
    const unit = (match?.[2] ?? 'b').toLowerCase();
    const n = match ? Number(match[1]) * BYTE_UNITS[unit]! : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      warnBad(name, value, `not a size of at least ${min} bytes (an integer, optionally with KiB, MiB or GiB)`, String(fallback));
      return fallback;
    }
    return n;
  }

  list(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** `key1=value1,key2=value2` with percent-encoded values (W3C baggage style), as used by
   * OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. Bad members are skipped with a warning. */
  keyValues(name: string): Record<string, string> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return parseKeyValues(name, value);
  }
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

export function parseInteger(name: string, value: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(value)) {
    warnBad(name, value, 'not an integer', String(fallback));
    return fallback;
  }
  const n = Number(value);
  if (n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    warnBad(name, value, `not ${range}`, String(fallback));
    return fallback;
  }
  return n;
}

export function parseKeyValues(name: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const member of value.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    const key = eq > 0 ? member.slice(0, eq).trim() : '';
    if (key === '') {
      log.warn(`${name} member "${member}" is not key=value; skipping it`);
      continue;
    }
    const rawValue = member.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(rawValue);
    } catch {
      log.warn(`${name} value of "${key}" ("${rawValue}") is not valid percent-encoding; using it as written`);
      out[key] = rawValue;
    }
  }
  return out;
}

export function warnBad(name: string, value: string, problem: string, used: string): void {
  log.warn(`${name}="${value}" is ${problem}; using ${used}`);
}
