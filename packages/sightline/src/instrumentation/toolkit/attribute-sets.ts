// Frozen attribute objects for metric measurements, one per distinct combination of values, found
// through nested maps keyed by the values themselves: recording `http.server.request.duration` with
// the same method, route and status as an earlier request builds no string and no object. The SDK
// looks frozen attribute objects up by identity. Bounded: past `limit` sets, each measurement gets a
// fresh object (the metric's own cardinality limit then folds them into its overflow series).
import type { Attributes } from '@opentelemetry/api';

type Value = string | number | boolean | undefined;
type Level = Map<Value, Level | Attributes>;

export class AttributeSets {
  private readonly root: Level = new Map();
  private size = 0;
  // The last values asked for and their set: a service's requests mostly repeat the previous one's
  // method, route and status, and six comparisons cost less than six map lookups.
  private la: Value = undefined;
  private lb: Value = undefined;
  private lc: Value = undefined;
  private ld: Value = undefined;
  private le: Value = undefined;
  private lf: Value = undefined;
  private last: Attributes | undefined = undefined;

  /** `keys`: the attribute names, in the order their values are passed to get(); at most six. */
  constructor(
    private readonly keys: readonly string[],
    private readonly limit = 4096,
  ) {}

  /** The attributes for these values; an undefined value leaves its key out. */
  get(a?: Value, b?: Value, c?: Value, d?: Value, e?: Value, f?: Value): Attributes {
    const last = this.last;
    if (last !== undefined && a === this.la && b === this.lb && c === this.lc && d === this.ld && e === this.le && f === this.lf)
      return last;
    const found = this.lookup(a, b, c, d, e, f);
    if (Object.isFrozen(found)) {
      this.la = a;
      this.lb = b;
      this.lc = c;
      this.ld = d;
      this.le = e;
      this.lf = f;
      this.last = found;
    }
    return found;
  }

  private lookup(a?: Value, b?: Value, c?: Value, d?: Value, e?: Value, f?: Value): Attributes {
    const n = this.keys.length;
    let level = this.root;
    for (let i = 0; i < n - 1; i++) {
      const value = i === 0 ? a : i === 1 ? b : i === 2 ? c : i === 3 ? d : e;
      let next = level.get(value) as Level | undefined;
      if (next === undefined) {
        if (this.size >= this.limit) return this.build(a, b, c, d, e, f);
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const final = n === 1 ? a : n === 2 ? b : n === 3 ? c : n === 4 ? d : n === 5 ? e : f;
    let attributes = level.get(final) as Attributes | undefined;
    if (attributes === undefined) {
      if (this.size >= this.limit) return this.build(a, b, c, d, e, f);
      attributes = Object.freeze(this.build(a, b, c, d, e, f));
      level.set(final, attributes);
      this.size++;
    }
    return attributes;
  }

  private build(...values: Value[]): Attributes {
    const out: Attributes = {};
    for (let i = 0; i < this.keys.length; i++) if (values[i] !== undefined) out[this.keys[i]!] = values[i];
    return out;
  }
}
