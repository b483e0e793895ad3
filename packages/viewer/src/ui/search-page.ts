// The search page: filters kept in the URL (so a search can be bookmarked and the back button works),
// results newest first with duration, span count, services and errors at a glance.

import { api, type TraceSummary } from './api.js';
import { choice, clear, field, formParams, h } from './dom.js';
import { formatDuration, formatTime, serviceColor } from './format.js';

const RANGES: Array<[string, string]> = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['', 'All time'],
];

function resultRow(t: TraceSummary, longest: number): HTMLElement {
  const duration = Number(t.durationNano);
  const bar = h('span', { class: 'duration-bar' });
  bar.style.width = `${Math.max(1, (duration / longest) * 100)}%`;
  return h(
    'li',
    { class: t.errorCount ? 'result has-error' : 'result' },
    h(
      'a',
      { href: `#/trace/${t.traceId}`, class: 'result-link', 'data-trace-id': t.traceId },
      h('span', { class: 'result-title' }, h('strong', {}, `${t.rootService}: `), t.rootName),
      h('span', { class: 'result-duration' }, formatDuration(duration), bar),
      h(
        'span',
        { class: 'result-meta' },
        `${t.spanCount} span${t.spanCount === 1 ? '' : 's'}`,
        t.errorCount ? h('span', { class: 'error-badge' }, `${t.errorCount} error${t.errorCount === 1 ? '' : 's'}`) : null,
        h('time', { datetime: new Date(Number(BigInt(t.startTimeUnixNano) / 1_000_000n)).toISOString() }, formatTime(t.startTimeUnixNano)),
      ),
      h(
        'span',
        { class: 'result-services' },
        ...t.services.map((s) => {
          const chip = h('span', { class: 'service-chip' }, s);
          chip.style.setProperty('--service', serviceColor(s));
          return chip;
        }),
      ),
    ),
  );
}

export interface SearchPage {
  element: HTMLElement;
  refresh(): void;
}

export function searchPage(params: URLSearchParams): SearchPage {
  const service = h('select', { name: 'service' }, h('option', { value: '' }, 'All services'));
  const name = h('select', { name: 'name' }, h('option', { value: '' }, 'All operations'));
  const errors = h('input', { type: 'checkbox', name: 'error', value: 'true' });
  const minDuration = h('input', { name: 'minDurationMs', inputmode: 'decimal', placeholder: 'e.g. 100', size: 6 });
  const maxDuration = h('input', { name: 'maxDurationMs', inputmode: 'decimal', placeholder: 'ms', size: 6 });
  const attr = h('input', { name: 'attr', placeholder: 'http.route=/orders/:id', size: 24 });
  const since = choice('since', RANGES, params.get('since') ?? '');
  const limit = h('select', { name: 'limit' }, ...['20', '50', '100', '500'].map((v) => h('option', { value: v }, v)));
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const results = h('ol', { class: 'results', 'aria-label': 'Traces' });

  errors.checked = params.get('error') === 'true';
  minDuration.value = params.get('minDurationMs') ?? '';
  maxDuration.value = params.get('maxDurationMs') ?? '';
  attr.value = params.get('attr') ?? '';
  limit.value = params.get('limit') ?? '50';

  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    field('Service', service),
    field('Operation', name),
    field('Errors only', errors),
    field('Min duration (ms)', minDuration),
    field('Max duration (ms)', maxDuration),
    field('Attribute', attr),
    field('Time range', since),
    field('Limit', limit),
    h('button', { type: 'submit', class: 'primary' }, 'Find traces'),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/?${formParams(form)}`;
  });

  const loadOperations = async (selected: string | null) => {
    clear(name);
    name.append(h('option', { value: '' }, 'All operations'));
    if (!service.value) return;
    for (const op of await api.operations(service.value)) name.append(h('option', { value: op }, op));
    name.value = selected ?? '';
  };
  service.addEventListener('change', () => void loadOperations(null));

  void api.services().then(async (services) => {
    for (const s of services) service.append(h('option', { value: s }, s));
    service.value = params.get('service') ?? '';
    await loadOperations(params.get('name'));
  });

  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      // Searches use the filters in the URL, not unsubmitted edits in the form.
      const traces = await api.search(params);
      clear(results);
      const longest = Math.max(1, ...traces.map((t) => Number(t.durationNano)));
      results.append(...traces.map((t) => resultRow(t, longest)));
      status.textContent = traces.length
        ? `${traces.length} trace${traces.length === 1 ? '' : 's'}${traces.length === Number(limit.value) ? ' (limit reached)' : ''}`
        : 'No traces match. Send spans to the OTLP endpoint, or widen the filters.';
    } catch (error) {
      status.textContent = `Search failed: ${(error as Error).message}`;
    } finally {
      running = false;
    }
  };
  void run();
  return { element: h('section', { class: 'search-page' }, h('h1', {}, 'Find traces'), form, status, results), refresh: () => void run() };
}
