// Attributes that many spans carry alike, held once and encoded once: an HTTP server span's scheme,
// protocol version, server address and port and client address come from its connection, the same
// for every request a keep-alive connection carries. Set one by one on each span and encoded again
// for each, they were ~6,400 of the ~28,000 instructions a sampled `hello` request added (callgrind,
// Node 24); a span now points at its connection's block, and the exporter copies the block's bytes.
import type { AttributeValue } from '@opentelemetry/api';

/** Where `key` is in a list of keys and values in turn ([key, value, key, value…]), -1 when it is not. */
export function keyIndexIn(list: readonly unknown[], key: string): number {
  for (let i = 0; i < list.length; i += 2) if (list[i] === key) return i;
  return -1;
}

export class SharedAttributes {
  /** The longest string value: a span whose value length limit is lower copies the block instead of sharing it. */
  readonly longestValue: number;
  /**
   * The block as OTLP KeyValues of a Span (field 9, tags included), written by the exporter the first
   * time it encodes a span that shares it. Only spans reach it: other signals have fields of their own.
   */
  encoded: Uint8Array | undefined = undefined;

  /** `list`: distinct, non-empty keys and valid values in turn ([key, value, key, value…]). */
  constructor(readonly list: readonly (string | AttributeValue)[]) {
    let longest = 0;
    for (let i = 1; i < list.length; i += 2) {
      const value = list[i];
      if (typeof value === 'string' && value.length > longest) longest = value.length;
    }
    this.longestValue = longest;
  }

  /** Where `key` is in the list, -1 when the block does not hold it. */
  indexOf(key: string): number {
    return keyIndexIn(this.list, key);
  }

  /** Sets the block's attributes one by one on `target`, where they cannot be shared (another SDK's span, a collector). */
  setOn(target: { setAttribute(key: string, value: AttributeValue): unknown }): void {
    const list = this.list;
    for (let i = 0; i < list.length; i += 2) target.setAttribute(list[i] as string, list[i + 1]!);
  }

  /** How many attributes the block holds. */
  get count(): number {
    return this.list.length >> 1;
  }
}
