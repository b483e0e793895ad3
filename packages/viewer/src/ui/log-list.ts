// Log records as the UI shows them: one line each (time, severity, service, body), with the
// attributes a click away. Shared by the trace page (a trace's and a span's logs) and the logs page.

import type { LogRecord } from './api.js';
import { h } from './dom.js';
import { displayValue, formatDuration, formatTime } from './format.js';

export interface LogListOptions {
  /** Times shown as offsets from this instant (a trace's start) instead of clock times. */
  originNs?: bigint | undefined;
  /** Shows the service of each record (off inside one span, where it is always the same). */
  showService?: boolean;
  /** Makes each record that names a span a button that selects it. */
  onSpan?: ((spanId: string) => void) | undefined;
  /** Links each record that names a trace to it (the logs page). */
  linkTraces?: boolean;
}

/** The body as one line of text: strings as they are, structured bodies as JSON. */
export function bodyText(body: unknown): string {
  if (body === null || body === undefined) return '';
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function severityClass(record: LogRecord): string {
  return `severity severity-${record.severity.toLowerCase()}`;
}

function logLine(record: LogRecord, options: LogListOptions): HTMLElement {
  const when =
    options.originNs === undefined
      ? formatTime(record.timeUnixNano)
      : `+${formatDuration(Math.max(0, Number(BigInt(record.timeUnixNano) - options.originNs)))}`;
  const attributes = Object.keys(record.attributes).sort();
  const extra =
    attributes.length || record.eventName
      ? h(
          'details',
          { class: 'log-attributes' },
          h('summary', {}, `${attributes.length} attribute${attributes.length === 1 ? '' : 's'}`),
          h(
            'table',
            { class: 'kv' },
            h(
              'tbody',
              {},
              record.eventName ? h('tr', {}, h('th', { scope: 'row' }, 'event.name'), h('td', {}, record.eventName)) : null,
              ...attributes.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, displayValue(record.attributes[k])))),
            ),
          ),
        )
      : null;
  const span =
    record.spanId && options.onSpan
      ? h(
          'button',
          { type: 'button', class: 'link-button', onclick: () => options.onSpan!(record.spanId), title: 'select the span that wrote this' },
          'span',
        )
      : null;
  const trace =
    record.traceId && options.linkTraces
      ? h('a', { href: `#/trace/${record.traceId}${record.spanId ? `?span=${record.spanId}` : ''}`, class: 'log-trace' }, 'trace')
      : null;
  return h(
    'li',
    { class: `log${record.severityNumber >= 17 ? ' log-error' : ''}` },
    h('span', { class: 'log-time mono' }, when),
    h('span', { class: severityClass(record), title: record.severityText || record.severity }, record.severityText || record.severity),
    options.showService ? h('span', { class: 'log-service' }, record.serviceName) : null,
    h('span', { class: 'log-body' }, bodyText(record.body)),
    span,
    trace,
    extra,
  );
}

export function logList(records: LogRecord[], label: string, options: LogListOptions = {}): HTMLElement {
  return h('ol', { class: 'logs', 'aria-label': label }, ...records.map((r) => logLine(r, options)));
}
