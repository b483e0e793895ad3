// A trace as a tree of spans with times relative to the trace's start, and its critical path: the
// chain of work that determined when the root finished (the last-finishing child at each step).
// Built from the outline the API sends (no attributes), so a trace of 100,000 spans stays light.
// Senders can be wrong: a span may name a parent that never arrived (an orphan), or spans may name
// each other as parents (a cycle), which is broken at its earliest span so every span is shown once.

import type { TraceOutline } from '../api/trace-json.js';

export interface OutlineSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  statusCode: 'UNSET' | 'OK' | 'ERROR';
}

export interface SpanNode {
  span: OutlineSpan;
  /** Nanoseconds from the trace's start. */
  start: number;
  end: number;
  depth: number;
  children: SpanNode[];
  parent: SpanNode | undefined;
  /** The span names a parent that is not in the trace (not arrived yet, or lost). */
  orphan: boolean;
  /** The span names a parent that is its own descendant (or itself): shown as a root instead. */
  cycle: boolean;
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

const byStart = (a: SpanNode, b: SpanNode): number => a.start - b.start || a.end - b.end;

export function buildTrace(outline: TraceOutline): TraceModel {
  const byId = new Map<string, SpanNode>();
  let durationNs = 0;
  for (const [spanId, parentSpanId, name, kind, service, start, end, statusCode] of outline.spans) {
    byId.set(spanId, {
      span: { spanId, parentSpanId, name: outline.names[name] ?? '', kind, serviceName: outline.services[service] ?? '', statusCode },
      start,
      end,
      depth: 0,
      children: [],
      parent: undefined,
      orphan: false,
      cycle: false,
    });
    if (end > durationNs) durationNs = end;
  }
  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    const parent = node.span.parentSpanId ? byId.get(node.span.parentSpanId) : undefined;
    if (parent !== undefined) {
      node.parent = parent;
      parent.children.push(node);
    } else {
      node.orphan = Boolean(node.span.parentSpanId);
      roots.push(node);
    }
  }
  roots.sort(byStart);
  const ordered: SpanNode[] = [];
  const visited = new Set<SpanNode>();
  // Iterative, so a pathologically deep trace cannot overflow the stack.
  const walk = (root: SpanNode): void => {
    const stack = [root];
    while (stack.length) {
      const node = stack.pop()!;
      visited.add(node);
      node.depth = node.parent ? node.parent.depth + 1 : 0;
      ordered.push(node);
      node.children.sort(byStart);
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
    }
  };
  for (const root of roots) walk(root);
  if (visited.size < byId.size) {
    // What no root reaches hangs from a cycle: detach the earliest span of each cycle and walk from it.
    const unreached = [...byId.values()].filter((n) => !visited.has(n)).sort(byStart);
    for (const start of unreached) {
      if (visited.has(start)) continue;
      const seen = new Set<SpanNode>();
      let node = start;
      while (node.parent !== undefined && !seen.has(node)) {
        seen.add(node);
        node = node.parent;
      }
      // `node` is on the cycle; of the cycle's spans, the earliest becomes the root.
      let first = node;
      for (let n = node.parent!; n !== node; n = n.parent!) if (byStart(n, first) < 0) first = n;
      first.parent!.children = first.parent!.children.filter((c) => c !== first);
      first.parent = undefined;
      first.cycle = true;
      roots.push(first);
      walk(first);
    }
    roots.sort(byStart);
  }
  return { roots, byId, ordered, startNs: BigInt(outline.startTimeUnixNano), durationNs, services: [...outline.services].sort() };
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
  const root = model.roots.reduce<SpanNode | undefined>(
    (best, r) => (!best || r.end - r.start > best.end - best.start ? r : best),
    undefined,
  );
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
