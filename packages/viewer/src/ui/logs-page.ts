// The logs page: every stored log record, newest first, filtered by service, lowest severity, text
// and time range (kept in the URL like the trace search). Records written inside a span link to it.

import { api } from './api.js';
import { choice, clear, field, formParams, h } from './dom.js';
import { logList } from './log-list.js';

const RANGES: Array<[string, string]> = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['', 'All time'],
];
const SEVERITIES: Array<[string, string]> = [
  ['', 'Any'],
  ['debug', 'Debug and above'],
  ['info', 'Info and above'],
  ['warn', 'Warn and above'],
  ['error', 'Error and above'],
];

export interface LogsPage {
  element: HTMLElement;
  refresh(): void;
}

export function logsPage(params: URLSearchParams): LogsPage {
  const service = h('select', { name: 'service' }, h('option', { value: '' }, 'All services'));
  const severity = choice('severity', SEVERITIES, params.get('severity') ?? '');
  const text = h('input', { name: 'text', placeholder: 'text in the body or attributes', size: 28 });
  const since = choice('since', RANGES, params.get('since') ?? '');
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'log-results' });
  text.value = params.get('text') ?? '';

  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    field('Service', service),
    field('Severity', severity),
    field('Text', text),
    field('Time range', since),
    h('button', { type: 'submit', class: 'primary' }, 'Find logs'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/logs?${formParams(form)}`;
  });
  void api.logServices().then((services) => {
    for (const s of services) service.append(h('option', { value: s }, s));
    service.value = params.get('service') ?? '';
  });

  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const query = new URLSearchParams(params);
      query.set('limit', '500');
      const logs = await api.logs(query);
      clear(results);
      results.append(logList(logs, 'Log records', { showService: true, linkTraces: true }));
      status.textContent = logs.length
        ? `${logs.length} log record${logs.length === 1 ? '' : 's'}${logs.length === 500 ? ' (the newest 500)' : ''}`
        : 'No log records match. Send logs to the OTLP endpoint (/v1/logs), or widen the filters.';
    } catch (error) {
      status.textContent = `Search failed: ${(error as Error).message}`;
    } finally {
      running = false;
    }
  };
  void run();
  return { element: h('section', { class: 'logs-page' }, h('h1', {}, 'Logs'), form, status, results), refresh: () => void run() };
}
