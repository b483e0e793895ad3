// A trace as a tree of spans with times relative to the trace's start, and its critical path: the
// chain of work that determined when the root finished (the last-finishing child at each step).

import type { Span } from './api.js';

export interface SpanNode {
  span: Span;
  /** Nanoseconds from the trace's start. */
  start: number;
  end: number;
  depth: number;
  children: SpanNode[];
  parent: SpanNode | undefined;
  /** The span names a parent that is not in the trace (not arrived yet, or lost). */
  orphan: boolean;
}

export interface TraceModel {
  roots: SpanNode[];
  byId: Map<string, SpanNode>;
  /** Depth-first order, parents before children, siblings by start time. */
  ordered: SpanNode[];
  startNs: bigint;
  durationNs: number;
  services: string[];
}

export function buildTrace(spans: Span[]): TraceModel {
  let startNs = spans.length ? BigInt(spans[0]!.startTimeUnixNano) : 0n;
  let endNs = startNs;
  for (const s of spans) {
    const a = BigInt(s.startTimeUnixNano);
    const b = BigInt(s.endTimeUnixNano);
    if (a < startNs) startNs = a;
    if (b > endNs) endNs = b;
  }
  const byId = new Map<string, SpanNode>();
  for (const span of spans) {
    byId.set(span.spanId, {
      span,
      start: Number(BigInt(span.startTimeUnixNano) - startNs),
      end: Number(BigInt(span.endTimeUnixNano) - startNs),
      depth: 0,
      children: [],
      parent: undefined,
      orphan: false,
    });
  }
  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    const parent = node.span.parentSpanId ? byId.get(node.span.parentSpanId) : undefined;
    if (parent && parent !== node) {
      node.parent = parent;
      parent.children.push(node);
    } else {
      node.orphan = Boolean(node.span.parentSpanId);
      roots.push(node);
    }
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.start - b.start || a.end - b.end;
  roots.sort(byStart);
  const ordered: SpanNode[] = [];
  // Iterative, so a pathologically deep trace cannot overflow the stack.
  const stack = [...roots].reverse();
  while (stack.length) {
    const node = stack.pop()!;
    node.depth = node.parent ? node.parent.depth + 1 : 0;
    ordered.push(node);
    node.children.sort(byStart);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  const services = [...new Set(spans.map((s) => s.serviceName))].sort();
  return { roots, byId, ordered, startNs, durationNs: Number(endNs - startNs), services };
}

/** Segments [start, end) of each span's own time on the critical path, keyed by span id. */
export function criticalPath(model: TraceModel): Map<string, Array<[number, number]>> {
  const segments = new Map<string, Array<[number, number]>>();
  const add = (node: SpanNode, from: number, to: number) => {
    if (to <= from) return;
    let list = segments.get(node.span.spanId);
    if (!list) segments.set(node.span.spanId, (list = []));
    list.push([from, to]);
  };
  // Explicit work list instead of recursion, for the same reason as above.
  const work: Array<[SpanNode, number]> = [];
  const root = model.roots.reduce<SpanNode | undefined>((best, r) => (!best || r.end - r.start > best.end - best.start ? r : best), undefined);
  if (root) work.push([root, root.end]);
  while (work.length) {
    const [node, until] = work.pop()!;
    let cursor = Math.min(node.end, until);
    const children = [...node.children].sort((a, b) => b.end - a.end);
    for (const child of children) {
      if (cursor <= node.start) break;
      if (child.start >= cursor) continue;
      const childEnd = Math.min(child.end, cursor);
      add(node, childEnd, cursor);
      work.push([child, childEnd]);
      cursor = Math.max(child.start, node.start);
    }
    add(node, node.start, cursor);
  }
  return segments;
}
