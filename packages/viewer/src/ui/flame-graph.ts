// A flame graph drawn with plain elements (so every frame is text a screen reader and a test can
// read): the root at the top, each frame as wide as its share of the selection, callees below.
// Clicking a frame zooms to it; clicking the top bar zooms out. In a diff, a frame's colour says
// whether its share grew (red) or shrank (blue) against the baseline.
import type { FlameGraph, FlameNode } from './api.js';
import { h } from './dom.js';

const MIN_SHARE = 0.002;
const MAX_DEPTH = 128;

function formatValue(value: number, unit: string): string {
  if (unit === 'nanoseconds') {
    const ms = value / 1e6;
    return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`;
  }
  return `${Math.round(value)} ${unit || 'samples'}`;
}

/** A stable warm colour per function name, so the same function looks the same across graphs. */
function hue(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  return 10 + (Math.abs(hash) % 40);
}

function diffColour(node: FlameNode, total: number, baselineTotal: number): string {
  const share = total > 0 ? node.value / total : 0;
  const before = baselineTotal > 0 ? (node.baseline ?? 0) / baselineTotal : 0;
  const change = Math.max(-1, Math.min(1, (share - before) / Math.max(share, before, 1e-9)));
  if (Math.abs(change) < 0.02) return 'hsl(0 0% 88%)';
  const lightness = 92 - Math.abs(change) * 40;
  return change >= 0 ? `hsl(0 75% ${lightness}%)` : `hsl(215 75% ${lightness}%)`;
}

export function flameGraph(graph: FlameGraph, label: string): HTMLElement {
  const container = h('div', { class: 'flame', role: 'group', 'aria-label': label });
  const diff = graph.root.baseline !== undefined;
  const draw = (focus: FlameNode, path: FlameNode[]): void => {
    const rows: HTMLElement[] = [];
    const total = focus.value;
    const baselineTotal = focus.baseline ?? 0;
    const place = (node: FlameNode, depth: number, left: number): void => {
      if (depth > MAX_DEPTH || total <= 0) return;
      const width = node.value / total;
      if (width < MIN_SHARE) return;
      const title = `${node.name} — ${(width * 100).toFixed(1)}% (${formatValue(node.value, graph.unit)})${
        diff ? `; baseline ${formatValue(node.baseline ?? 0, graph.unit)}` : ''
      }`;
      const frame = h(
        'button',
        {
          type: 'button',
          class: 'flame-frame',
          title,
          'data-share': width.toFixed(4),
          'data-depth': depth,
          onclick: () =>
            node === focus && path.length > 0 ? draw(path[path.length - 1]!, path.slice(0, -1)) : draw(node, [...path, focus]),
        },
        node.name,
      );
      // Through the CSSOM: the UI's content security policy refuses style attributes.
      frame.style.left = `${(left * 100).toFixed(3)}%`;
      frame.style.width = `${(width * 100).toFixed(3)}%`;
      frame.style.top = `${depth * 20}px`;
      frame.style.background = diff ? diffColour(node, graph.root.value, graph.root.baseline ?? 0) : `hsl(${hue(node.name)} 85% 62%)`;
      rows.push(frame);
      let offset = left;
      for (const child of node.children) {
        place(child, depth + 1, offset);
        offset += child.value / total;
      }
    };
    place(focus, 0, 0);
    const depth = rows.reduce((max, r) => Math.max(max, Number(r.dataset.depth)), 0);
    const frames = h('div', { class: 'flame-frames' }, ...rows);
    frames.style.height = `${(depth + 1) * 20}px`;
    container.replaceChildren(
      h(
        'p',
        { class: 'flame-summary' },
        `${formatValue(total, graph.unit)} of ${graph.type}${path.length > 0 ? ` under ${focus.name} (click it to zoom out)` : ''}`,
        diff ? ` against ${formatValue(baselineTotal, graph.unit)} in the baseline; red grew, blue shrank` : '',
      ),
      frames,
    );
  };
  if (graph.root.value <= 0) container.append(h('p', { class: 'empty', role: 'status' }, 'No profile samples in this selection.'));
  else draw(graph.root, []);
  return container;
}
