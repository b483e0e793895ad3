// A Context whose setValue() adds one small node instead of copying a Map, as the API's BaseContext
// does: the HTTP server instrumentation derives every request's context from it, twice per request.
import type { Context } from '@opentelemetry/api';

export class LinkedContext implements Context {
  private constructor(
    private readonly parent: LinkedContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
  ) {}

  static readonly ROOT = new LinkedContext(undefined, undefined, undefined);

  getValue(key: symbol): unknown {
    // The nearest node wins; a deleteValue() node holds undefined, which hides older values.
    for (let node: LinkedContext | undefined = this; node !== undefined; node = node.parent) {
      if (node.key === key) return node.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined);
  }
}
