// The trace page: header, time axis and waterfall (collapsible tree, colour per service, errors
// marked, critical path overlaid), the details of the selected span with the logs it wrote, and
// the trace's logs in time order. The waterfall draws only the rows in view (fixed-height rows
// over a full-height track), and a span's attributes are fetched when it is selected, so a trace of
// 100,000 spans opens as fast as a small one.

import { api, type LogRecord, type Span } from './api.js';
import { clear, h } from './dom.js';
import { displayValue, formatDuration, formatTime, serviceColor } from './format.js';
import { flameGraph } from './flame-graph.js';
import { logList } from './log-list.js';
import { buildTrace, criticalPath, type SpanNode, type TraceModel } from './trace-model.js';

const ROW_HEIGHT = 26;
/** Rows drawn beyond each edge of the viewport, so a scroll shows no blank rows before the next draw. */
const OVERSCAN = 15;

function table(caption: string, values: Record<string, unknown>): HTMLElement | null {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return null;
  return h(
    'table',
    { class: 'kv' },
    h('caption', {}, caption),
    h('tbody', {}, ...keys.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, displayValue(values[k]))))),
  );
}

function details(node: SpanNode, s: Span | undefined, model: TraceModel, logs: LogRecord[], profile: HTMLElement): HTMLElement {
  const o = node.span;
  const status = s
    ? h('dd', { class: s.status.code === 'ERROR' ? 'status-error' : '' }, s.status.code, s.status.message ? `: ${s.status.message}` : '')
    : h('dd', { class: o.statusCode === 'ERROR' ? 'status-error' : '' }, o.statusCode);
  const events = (s?.events ?? []).map((e) => {
    const { 'exception.stacktrace': stack, ...rest } = e.attributes;
    const offset = Number(BigInt(e.timeUnixNano) - model.startNs);
    return h(
      'li',
      { class: e.name === 'exception' ? 'event exception' : 'event' },
      h('div', { class: 'event-title' }, h('strong', {}, e.name), ` at ${formatDuration(offset)}`),
      table('Event attributes', rest),
      typeof stack === 'string' ? h('pre', { class: 'stack' }, stack) : null,
    );
  });
  const links = (s?.links ?? []).map((l) =>
    h(
      'li',
      {},
      h('a', { href: `#/trace/${l.traceId}?span=${l.spanId}` }, `trace ${l.traceId} · span ${l.spanId}`),
      table('Link attributes', l.attributes),
    ),
  );
  const parentNote = node.orphan
    ? ' (not in this trace)'
    : node.cycle
      ? ' (a descendant of this span: the spans name each other as parents)'
      : '';
  return h(
    'section',
    { class: 'details', 'aria-label': 'Span details', 'aria-busy': s ? 'false' : 'true' },
    h('h2', {}, o.name),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Service'),
      h('dd', {}, o.serviceName),
      h('dt', {}, 'Kind'),
      h('dd', {}, o.kind),
      h('dt', {}, 'Duration'),
      h('dd', {}, formatDuration(node.end - node.start)),
      h('dt', {}, 'Starts at'),
      h('dd', {}, formatDuration(node.start)),
      h('dt', {}, 'Status'),
      status,
      h('dt', {}, 'Span id'),
      h('dd', { class: 'mono' }, o.spanId),
      h('dt', {}, 'Parent'),
      h('dd', { class: 'mono' }, o.parentSpanId || '(root)', parentNote),
      s ? h('dt', {}, 'Scope') : null,
      s ? h('dd', {}, `${s.scope.name}${s.scope.version ? ` ${s.scope.version}` : ''}`) : null,
    ),
    s ? table('Attributes', s.attributes) : h('p', { role: 'status' }, 'Loading attributes…'),
    events.length ? h('div', {}, h('h3', {}, 'Events'), h('ol', { class: 'events' }, ...events)) : null,
    links.length ? h('div', {}, h('h3', {}, 'Links'), h('ul', { class: 'links' }, ...links)) : null,
    logs.length
      ? h('div', {}, h('h3', {}, `Logs (${logs.length})`), logList(logs, 'Logs of this span', { originNs: model.startNs }))
      : null,
    profile,
    s ? table('Resource', s.resource) : null,
  );
}

function axis(duration: number): HTMLElement {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tick = h('span', { class: 'tick' }, formatDuration(Math.round(duration * f)));
    tick.style.left = `${f * 100}%`;
    return tick;
  });
  return h(
    'div',
    { class: 'axis', 'aria-hidden': 'true' },
    h('div', { class: 'axis-label' }, 'Service · operation'),
    h('div', { class: 'axis-ticks' }, ...ticks),
  );
}

/** The spans a reader sees: depth-first, without the descendants of collapsed spans. */
function visibleNodes(model: TraceModel, collapsed: Set<string>): SpanNode[] {
  const visible: SpanNode[] = [];
  let hiddenBelow = Infinity;
  for (const node of model.ordered) {
    if (node.depth > hiddenBelow) continue;
    hiddenBelow = collapsed.has(node.span.spanId) ? node.depth : Infinity;
    visible.push(node);
  }
  return visible;
}

export interface TracePage {
  element: HTMLElement;
  refresh(): void;
  traceId: string;
  /** Stops listening to the window: the page is being replaced. */
  dispose(): void;
}

export function tracePage(traceId: string, params: URLSearchParams): TracePage {
  const element = h('section', { class: 'trace-page' }, h('p', { role: 'status' }, 'Loading trace…'));
  const collapsed = new Set<string>();
  let selected = params.get('span') ?? '';
  let showCritical = true;
  let model: TraceModel | undefined;
  let critical = new Map<string, Array<[number, number]>>();
  let visible: SpanNode[] = [];
  let logs: LogRecord[] = [];
  const logsBySpan = new Map<string, LogRecord[]>();
  const spanDetails = new Map<string, Span>();
  // Each span's CPU flame graph (its samples and its descendants'), fetched once it is selected. An
  // empty one is not kept: profiles arrive every 30 s, often after the spans.
  const profiles = new Map<string, HTMLElement>();
  const profileOf = (spanId: string, name: string): HTMLElement => {
    const cached = profiles.get(spanId);
    if (cached) return cached;
    const el = h('section', { class: 'span-profile', 'aria-label': 'CPU profile', 'aria-busy': 'true' }, h('h3', {}, 'CPU profile'));
    profiles.set(spanId, el);
    api.flame(new URLSearchParams({ traceId, spanId, type: 'cpu' })).then(
      (graph) => {
        el.setAttribute('aria-busy', 'false');
        if (graph.root.value > 0) {
          el.append(flameGraph(graph, `CPU profile of ${name} and the spans under it`));
          return;
        }
        profiles.delete(spanId);
        el.append(
          h(
            'p',
            { class: 'empty' },
            'No CPU samples under this span (yet): profiling is off (SIGHTLINE_PROFILING=on turns it on), the span ran too briefly for a ~100 Hz sampler, or its profile has not arrived (they are sent every 30 s).',
          ),
        );
      },
      (error: Error) => {
        profiles.delete(spanId);
        el.setAttribute('aria-busy', 'false');
        el.append(h('p', { role: 'alert' }, `The profile could not be loaded: ${error.message}`));
      },
    );
    return el;
  };
  let tree: HTMLElement | undefined;
  let detailsSlot: HTMLElement | undefined;
  let drawn = { from: -1, to: -1 };

  const row = (node: SpanNode, index: number, m: TraceModel): HTMLElement => {
    const s = node.span;
    const total = Math.max(1, m.durationNs);
    const pct = (n: number) => `${(n / total) * 100}%`;
    const isError = s.statusCode === 'ERROR';
    const hasChildren = node.children.length > 0;
    const logCount = logsBySpan.get(s.spanId)?.length ?? 0;
    const bar = h('span', { class: isError ? 'bar error' : 'bar' });
    bar.style.left = pct(node.start);
    bar.style.width = `max(2px, ${pct(node.end - node.start)})`;
    bar.style.setProperty('--service', serviceColor(s.serviceName));
    if (showCritical) {
      for (const [a, b] of critical.get(s.spanId) ?? []) {
        const seg = h('span', { class: 'critical' });
        seg.style.left = `${((a - node.start) / Math.max(1, node.end - node.start)) * 100}%`;
        seg.style.width = `${((b - a) / Math.max(1, node.end - node.start)) * 100}%`;
        bar.append(seg);
      }
    }
    const label = h(
      'span',
      { class: 'label' },
      h('span', { class: 'toggle', 'aria-hidden': 'true' }, hasChildren ? (collapsed.has(s.spanId) ? '▸' : '▾') : ''),
      h('span', { class: 'swatch' }),
      h('span', { class: 'service' }, s.serviceName),
      h('span', { class: 'name' }, s.name),
      isError ? h('span', { class: 'error-mark', title: 'error' }, '⚠ error') : null,
      logCount
        ? h('span', { class: 'log-mark', title: 'log records written in this span' }, `${logCount} log${logCount === 1 ? '' : 's'}`)
        : null,
      node.orphan ? h('span', { class: 'orphan-mark', title: 'parent span not in this trace' }, 'missing parent') : null,
      node.cycle
        ? h('span', { class: 'orphan-mark cycle-mark', title: 'this span and its parent chain name each other as parents' }, 'parent cycle')
        : null,
    );
    label.style.setProperty('--service', serviceColor(s.serviceName));
    label.style.paddingLeft = `${node.depth * 14 + 4}px`;
    const el = h(
      'div',
      {
        class: `row${s.spanId === selected ? ' selected' : ''}${isError ? ' has-error' : ''}`,
        role: 'treeitem',
        'aria-level': node.depth + 1,
        'aria-selected': s.spanId === selected ? 'true' : 'false',
        'aria-expanded': hasChildren ? String(!collapsed.has(s.spanId)) : undefined,
        tabindex: s.spanId === selected ? 0 : -1,
        'data-span-id': s.spanId,
      },
      label,
      h('span', { class: 'track' }, bar, h('span', { class: 'bar-duration' }, formatDuration(node.end - node.start))),
    );
    el.style.top = `${index * ROW_HEIGHT}px`;
    return el;
  };

  /** Draws the rows in (or near) the viewport; the rest of the track is empty space of the right height. */
  const drawRows = (force = false): void => {
    if (!model || !tree) return;
    const top = tree.getBoundingClientRect().top;
    const from = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
    const to = Math.min(visible.length, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
    if (!force && from === drawn.from && to === drawn.to) return;
    drawn = { from, to };
    const rows: HTMLElement[] = [];
    for (let i = from; i < to; i++) rows.push(row(visible[i]!, i, model));
    tree.replaceChildren(...rows);
  };

  const renderDetails = (): void => {
    if (!model || !detailsSlot) return;
    const node = model.byId.get(selected)!;
    const full = spanDetails.get(selected);
    detailsSlot.replaceChildren(details(node, full, model, logsBySpan.get(selected) ?? [], profileOf(selected, node.span.name)));
    if (full) return;
    const wanted = selected;
    api.span(traceId, wanted).then(
      (s) => {
        spanDetails.set(wanted, s);
        if (selected === wanted) renderDetails();
      },
      () => {
        // Evicted since the outline was read: the outline's facts stay on screen.
      },
    );
  };

  const render = () => {
    if (!model) return;
    const m = model;
    critical = criticalPath(m);
    visible = visibleNodes(m, collapsed);
    const root = m.roots[0]!;
    const errors = m.ordered.filter((n) => n.span.statusCode === 'ERROR').length;
    if (!m.byId.has(selected)) selected = root.span.spanId;

    tree = h('div', { class: 'waterfall', role: 'tree', 'aria-label': 'Spans' });
    tree.style.height = `${visible.length * ROW_HEIGHT}px`;
    tree.addEventListener('keydown', onKey);
    tree.addEventListener('click', (event) => {
      const rowEl = (event.target as Element).closest('.row');
      const spanId = rowEl?.getAttribute('data-span-id');
      if (!spanId) return;
      if ((event.target as Element).classList.contains('toggle') && m.byId.get(spanId)!.children.length) toggle(spanId);
      else select(spanId);
    });
    const criticalToggle = h('input', { type: 'checkbox', id: 'critical-toggle' });
    criticalToggle.checked = showCritical;
    criticalToggle.addEventListener('change', () => {
      showCritical = criticalToggle.checked;
      drawRows(true);
    });
    detailsSlot = h('div', { class: 'details-slot' });
    clear(element);
    element.append(
      h(
        'header',
        { class: 'trace-header' },
        h('h1', {}, h('span', { class: 'service' }, `${root.span.serviceName}: `), root.span.name),
        h(
          'p',
          { class: 'trace-facts' },
          h('span', { class: 'mono' }, traceId),
          ` · ${formatTime(m.startNs.toString())} · ${formatDuration(m.durationNs)} · ${m.ordered.length} spans · ${m.services.length} service${m.services.length === 1 ? '' : 's'}`,
          errors ? h('span', { class: 'error-badge' }, `${errors} error${errors === 1 ? '' : 's'}`) : null,
          logs.length ? ` · ${logs.length} log record${logs.length === 1 ? '' : 's'}` : null,
        ),
        h(
          'p',
          { class: 'trace-actions' },
          h('label', { for: 'critical-toggle' }, criticalToggle, ' Show critical path'),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                collapsed.clear();
                relayout();
              },
            },
            'Expand all',
          ),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                m.ordered.forEach((n) => n.children.length && n.parent && collapsed.add(n.span.spanId));
                relayout();
              },
            },
            'Collapse all',
          ),
          h('a', { class: 'button', href: `/api/traces/${traceId}/otlp`, download: `trace-${traceId}.json` }, 'Download OTLP JSON'),
        ),
        h(
          'p',
          { class: 'legend' },
          ...m.services.map((s) => {
            const chip = h('span', { class: 'service-chip' }, s);
            chip.style.setProperty('--service', serviceColor(s));
            return chip;
          }),
        ),
      ),
      h('div', { class: 'trace-body' }, h('div', { class: 'waterfall-wrap' }, axis(m.durationNs), tree), detailsSlot),
    );
    if (logs.length) {
      element.append(
        h(
          'section',
          { class: 'trace-logs', 'aria-label': 'Logs of this trace' },
          h('h2', {}, `Logs (${logs.length})`),
          logList(logs, 'Log records of this trace', {
            originNs: m.startNs,
            showService: true,
            onSpan: (id) => void (m.byId.has(id) && select(id)),
          }),
        ),
      );
    }
    drawRows(true);
    renderDetails();
  };

  /** The tree's shape changed (collapse, expand): new visible list and height, same page. */
  const relayout = () => {
    if (!model || !tree) return;
    visible = visibleNodes(model, collapsed);
    tree.style.height = `${visible.length * ROW_HEIGHT}px`;
    drawRows(true);
  };

  /** Scrolls the window just enough to show the row at `index`. */
  const reveal = (index: number) => {
    if (!tree || index < 0) return;
    const top = tree.getBoundingClientRect().top + index * ROW_HEIGHT;
    if (top < 0) window.scrollBy(0, top);
    else if (top + ROW_HEIGHT > window.innerHeight) window.scrollBy(0, top + ROW_HEIGHT - window.innerHeight);
  };

  const focusSelected = () => {
    reveal(visible.findIndex((n) => n.span.spanId === selected));
    drawRows(true);
    (tree?.querySelector(`.row[data-span-id="${selected}"]`) as HTMLElement | null)?.focus({ preventScroll: true });
  };
  const select = (spanId: string) => {
    selected = spanId;
    focusSelected();
    renderDetails();
  };
  const toggle = (spanId: string) => {
    if (collapsed.has(spanId)) collapsed.delete(spanId);
    else collapsed.add(spanId);
    relayout();
    focusSelected();
  };
  const onKey = (event: KeyboardEvent) => {
    const index = visible.findIndex((n) => n.span.spanId === selected);
    const node = visible[index];
    if (!node) return;
    let handled = true;
    if (event.key === 'ArrowDown' && index < visible.length - 1) select(visible[index + 1]!.span.spanId);
    else if (event.key === 'ArrowUp' && index > 0) select(visible[index - 1]!.span.spanId);
    else if (event.key === 'ArrowRight' && node.children.length && collapsed.has(node.span.spanId)) toggle(node.span.spanId);
    else if (event.key === 'ArrowLeft' && node.children.length && !collapsed.has(node.span.spanId)) toggle(node.span.spanId);
    else if (event.key === 'ArrowLeft' && node.parent) select(node.parent.span.spanId);
    else if (event.key === 'Home') select(visible[0]!.span.spanId);
    else if (event.key === 'End') select(visible[visible.length - 1]!.span.spanId);
    else handled = false;
    if (handled) event.preventDefault();
  };

  let frame = 0;
  const onViewportChange = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      drawRows();
    });
  };
  window.addEventListener('scroll', onViewportChange, { passive: true });
  window.addEventListener('resize', onViewportChange);

  const load = async () => {
    try {
      // Logs are an extra: a trace still shows if they cannot be read.
      const [outline, traceLogs] = await Promise.all([api.outline(traceId), api.traceLogs(traceId).catch(() => [] as LogRecord[])]);
      model = buildTrace(outline);
      logs = traceLogs;
      logsBySpan.clear();
      for (const record of logs) {
        if (!record.spanId) continue;
        const list = logsBySpan.get(record.spanId);
        if (list) list.push(record);
        else logsBySpan.set(record.spanId, [record]);
      }
      render();
    } catch (error) {
      clear(element);
      element.append(
        h('h1', {}, 'Trace not found'),
        h('p', {}, (error as Error).message),
        h('p', {}, h('a', { href: '#/' }, 'Back to search')),
      );
    }
  };
  void load();
  return {
    element,
    refresh: () => void load(),
    traceId,
    dispose: () => {
      window.removeEventListener('scroll', onViewportChange);
      window.removeEventListener('resize', onViewportChange);
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
