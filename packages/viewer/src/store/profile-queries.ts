// Flame graphs from the stored profile samples: the samples under a set of spans (a span and its
// descendants, or a whole trace), or of one service's route (or all its routes) over a time range,
// summed by stack and folded into a tree; and the difference of two such selections.
import type { SQLInputValue } from 'node:sqlite';
import type { Sqlite, Statement } from './sqlite.js';

export interface FlameNode {
  name: string;
  /** The selection's total under this frame (itself and what it called). */
  value: number;
  /** In a diff: the baseline selection's total under this frame. */
  baseline?: number;
  children: FlameNode[];
}

export interface FlameGraph {
  type: string;
  unit: string;
  /** Sample rows summed (a row is one stack of one span in one profile). */
  samples: number;
  root: FlameNode;
}

export interface FlameSelection {
  type: string;
  /** Samples linked to these spans of this trace (all of the trace's when spanIds is undefined). */
  traceId?: string;
  spanIds?: string[];
  service?: string;
  /** A route, or '' for samples of no route; undefined for all. */
  route?: string;
  fromNs?: bigint;
  toNs?: bigint;
}

export interface ProfiledRoute {
  service: string;
  route: string;
  value: number;
}

interface Grouped {
  stackId: number;
  value: number;
  rows: number;
}

export class ProfileQueries {
  private readonly framesOf: Statement;
  private readonly routeList: Statement;
  private readonly typeList: Statement;
  private readonly unitOf: Statement;

  constructor(private readonly db: Sqlite) {
    this.framesOf = db.prepare('SELECT id, frames FROM profile_stacks WHERE id IN (SELECT value FROM json_each(?))');
    this.routeList = db.prepare(
      `SELECT service, route, sum(value) AS value FROM profile_samples WHERE type = ? AND (? IS NULL OR service = ?)
       GROUP BY service, route ORDER BY value DESC LIMIT 500`,
    );
    this.typeList = db.prepare('SELECT DISTINCT type FROM profile_samples', { pluck: true });
    this.unitOf = db.prepare('SELECT unit FROM profile_samples WHERE type = ? LIMIT 1', { pluck: true });
  }

  types(): string[] {
    return this.typeList.all() as string[];
  }

  routes(type: string, service: string | undefined): ProfiledRoute[] {
    return this.routeList.all(type, service ?? null, service ?? null) as ProfiledRoute[];
  }

  flame(selection: FlameSelection): FlameGraph {
    const grouped = this.grouped(selection);
    const root: FlameNode = { name: 'all', value: 0, children: [] };
    const frames = this.frames(grouped.map((g) => g.stackId));
    for (const g of grouped) addStack(root, frames.get(g.stackId) ?? [], g.value, 'value');
    return {
      type: selection.type,
      unit: this.unit(selection.type),
      samples: grouped.reduce((n, g) => n + g.rows, 0),
      root: sortTree(root),
    };
  }

  /** `target` drawn against `baseline`: each node's value from the first, its baseline from the second. */
  diff(baseline: FlameSelection, target: FlameSelection): FlameGraph {
    const a = this.grouped(baseline);
    const b = this.grouped(target);
    const frames = this.frames([...a, ...b].map((g) => g.stackId));
    const root: FlameNode = { name: 'all', value: 0, baseline: 0, children: [] };
    for (const g of b) addStack(root, frames.get(g.stackId) ?? [], g.value, 'value');
    for (const g of a) addStack(root, frames.get(g.stackId) ?? [], g.value, 'baseline');
    return { type: target.type, unit: this.unit(target.type), samples: b.reduce((n, g) => n + g.rows, 0), root: sortTree(root) };
  }

  private unit(type: string): string {
    return (this.unitOf.get(type) as string | undefined) ?? '';
  }

  private grouped(s: FlameSelection): Grouped[] {
    const where = ['type = ?'];
    const args: SQLInputValue[] = [s.type];
    if (s.traceId !== undefined) {
      where.push('trace_id = ?');
      args.push(s.traceId);
      if (s.spanIds !== undefined) {
        where.push('span_id IN (SELECT value FROM json_each(?))');
        args.push(JSON.stringify(s.spanIds));
      }
    }
    if (s.service !== undefined) {
      where.push('service = ?');
      args.push(s.service);
    }
    if (s.route !== undefined) {
      where.push('route = ?');
      args.push(s.route);
    }
    if (s.fromNs !== undefined) {
      where.push('time_ns >= ?');
      args.push(s.fromNs);
    }
    if (s.toNs !== undefined) {
      where.push('time_ns < ?');
      args.push(s.toNs);
    }
    return this.db
      .prepare(
        `SELECT stack_id AS stackId, sum(value) AS value, count(*) AS rows FROM profile_samples WHERE ${where.join(' AND ')} GROUP BY stack_id`,
      )
      .all(...args) as Grouped[];
  }

  private frames(stackIds: number[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    const unique = [...new Set(stackIds)];
    for (let i = 0; i < unique.length; i += 5000) {
      const rows = this.framesOf.all(JSON.stringify(unique.slice(i, i + 5000))) as Array<{ id: number; frames: string }>;
      for (const row of rows) out.set(row.id, row.frames === '' ? [] : row.frames.split('\n'));
    }
    return out;
  }
}

function addStack(root: FlameNode, frames: string[], value: number, key: 'value' | 'baseline'): void {
  let node = root;
  node[key] = (node[key] ?? 0) + value;
  for (const name of frames) {
    let child = node.children.find((c) => c.name === name);
    if (child === undefined) {
      child = key === 'baseline' ? { name, value: 0, baseline: 0, children: [] } : { name, value: 0, children: [] };
      if (root.baseline !== undefined) child.baseline ??= 0;
      node.children.push(child);
    }
    child[key] = (child[key] ?? 0) + value;
    node = child;
  }
}

/** Heaviest children first, as flame graphs are read. */
function sortTree(node: FlameNode): FlameNode {
  node.children.sort((a, b) => b.value + (b.baseline ?? 0) - (a.value + (a.baseline ?? 0)));
  for (const child of node.children) sortTree(child);
  return node;
}
