// W3C tracestate: an ordered, immutable list of vendor entries.
import type { TraceState as ApiTraceState } from '@opentelemetry/api';

const MAX_MEMBERS = 32;
// Trace Context Level 2: key = ( lcalpha / DIGIT ) 0*255( keychar ), keychar including "@";
// values: printable ASCII except "," and "=", not ending in a space.
const KEY = /^[a-z0-9][_0-9a-z\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

const MAX_PARSED = 256;
/** Longer values are parsed each time: the cache holds at most 256 of these (~256 KB). */
const MAX_PARSED_LENGTH = 512;
/** Header values parsed before, and what each gave (null: invalid). */
const parsed = new Map<string, TraceState | null>();

export class TraceState implements ApiTraceState {
  private constructor(private readonly entries: ReadonlyArray<readonly [string, string]>) {}

  static empty(): TraceState {
    return new TraceState([]);
  }

  /**
   * Parses a header value; returns undefined when any member is malformed (the whole header is then
   * discarded). A repeated key keeps its first value, as Level 2 allows. A service's callers send the
   * same few values over and over (an upstream sampler's `ot=th:…` on every request), and a TraceState
   * never changes, so each value is parsed once and its result shared (bounded, emptied when full).
   */
  static parse(header: string): TraceState | undefined {
    const known = parsed.get(header);
    if (known !== undefined) return known ?? undefined;
    const state = TraceState.parseOnce(header);
    if (header.length <= MAX_PARSED_LENGTH) {
      if (parsed.size >= MAX_PARSED) parsed.clear();
      parsed.set(header, state ?? null);
    }
    return state;
  }

  private static parseOnce(header: string): TraceState | undefined {
    const entries: Array<[string, string]> = [];
    const seen = new Set<string>();
    for (const member of header.split(',')) {
      const trimmed = member.trim();
      if (trimmed === '') continue; // empty list members are allowed
      const eq = trimmed.indexOf('=');
      if (eq <= 0) return undefined;
      const key = trimmed.slice(0, eq);
      const value = trimmed.slice(eq + 1);
      if (!KEY.test(key) || !VALUE.test(value)) return undefined;
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push([key, value]);
    }
    if (entries.length > MAX_MEMBERS) return undefined;
    return new TraceState(entries);
  }

  static isValidKey(key: string): boolean {
    return KEY.test(key);
  }

  static isValidValue(value: string): boolean {
    return VALUE.test(value);
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }

  /** Adds or updates a key, moving it to the front as the specification asks for updated entries. */
  set(key: string, value: string): TraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    const rest = this.entries.filter(([k]) => k !== key);
    const entries: Array<readonly [string, string]> = [[key, value], ...rest];
    return new TraceState(entries.slice(0, MAX_MEMBERS));
  }

  unset(key: string): TraceState {
    return new TraceState(this.entries.filter(([k]) => k !== key));
  }

  /** Immutable, so the text is built once: every sampled span's encoding and injection asks for it. */
  private text: string | undefined = undefined;

  serialize(): string {
    if (this.text !== undefined) return this.text;
    let out = '';
    for (const [k, v] of this.entries) out += (out === '' ? '' : ',') + k + '=' + v;
    this.text = out;
    return out;
  }

  get size(): number {
    return this.entries.length;
  }
}
