// The metrics page: for one service, request rate, error ratio and p50/p95/p99 latency per route over
// time (from its http.server.request.duration metric, or from its SERVER spans when it sends no
// metrics), then its runtime health per instance. A click on any point lists the traces behind it.
import { api, type RedResult, type RuntimeResult } from './api.js';
import { timeChart } from './chart.js';
import { choice, clear, field, formParams, h, RECENT_RANGES } from './dom.js';

const MAX_ROUTES = 12;
/** Live updates redraw at most this often: charts do not need every new span. */
const REFRESH_MILLIS = 5000;

const ms = (seconds: number): string =>
  seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : seconds < 0.1 ? 1 : 0)} ms`;
const perSecond = (v: number): string => `${v < 10 ? v.toFixed(2) : v.toFixed(0)}/s`;
const percent = (v: number): string => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
function bytes(v: number): string {
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(1)} GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(0)} MiB`;
  return `${(v / 1024).toFixed(0)} KiB`;
}
const FORMATS: Record<string, (v: number) => string> = { s: ms, '1': percent, By: bytes };

export interface MetricsPage {
  element: HTMLElement;
  refresh(): void;
  dispose(): void;
}

export function metricsPage(params: URLSearchParams): MetricsPage {
  const service = h('select', { name: 'service' });
  const since = choice('since', RECENT_RANGES, params.get('since') ?? '1h');
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const red = h('div', { class: 'metrics-routes' });
  const runtime = h('div', { class: 'metrics-runtime' });
  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    field('Service', service),
    field('Time range', since),
    h('button', { type: 'submit', class: 'primary' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/metrics?${formParams(form)}`;
  });
  service.addEventListener('change', () => form.requestSubmit());
  since.addEventListener('change', () => form.requestSubmit());

  let charts: Array<{ destroy(): void }> = [];
  let lastRun = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let chosen = params.get('service') ?? '';

  const exemplarList = (host: HTMLElement, result: RedResult, route: string, step: number): void => {
    const s = result.routes.find((r) => r.route === route)?.steps[step];
    clear(host);
    if (!s) return;
    const at = new Date(s.t).toLocaleTimeString(undefined, { hour12: false });
    if (s.exemplars.length === 0) {
      host.append(h('p', { class: 'muted' }, `No traces recorded for ${route} at ${at} (exemplars come from sampled requests).`));
      return;
    }
    host.append(
      h('p', {}, `Requests behind ${route} at ${at}, slowest first:`),
      h(
        'ul',
        { class: 'exemplars' },
        ...s.exemplars.map((e) =>
          h('li', {}, h('a', { href: `#/trace/${e.traceId}`, class: 'mono' }, `trace ${e.traceId.slice(0, 12)}…`), ` ${ms(e.value)}`),
        ),
      ),
    );
  };

  const renderRed = (result: RedResult): void => {
    const times = result.routes[0]?.steps.map((s) => s.t) ?? [];
    for (const route of result.routes.slice(0, MAX_ROUTES)) {
      const picked = h('div', { class: 'exemplar-panel', role: 'region', 'aria-label': `Traces behind ${route.route}` });
      const onPick = (step: number): void => exemplarList(picked, result, route.route, step);
      const rate = timeChart({
        title: 'Requests',
        times,
        format: perSecond,
        onPick,
        lines: [{ label: 'req/s', values: route.steps.map((s) => s.rate) }],
      });
      const errors = timeChart({
        title: 'Errors',
        times,
        format: percent,
        onPick,
        lines: [{ label: 'error ratio', values: route.steps.map((s) => s.errorRatio), color: '#c4281c' }],
      });
      const latency = timeChart({
        title: 'Latency',
        times,
        format: ms,
        onPick,
        lines: [
          { label: 'p50', values: route.steps.map((s) => s.p50) },
          { label: 'p95', values: route.steps.map((s) => s.p95) },
          { label: 'p99', values: route.steps.map((s) => s.p99) },
        ],
      });
      charts.push(rate, errors, latency);
      const errorShare = route.total > 0 ? ` · ${percent(route.errors / route.total)} errors` : '';
      red.append(
        h(
          'section',
          { class: 'route-card', 'data-route': route.route },
          h('h3', {}, route.route, h('span', { class: 'muted' }, ` · ${route.total} requests${errorShare}`)),
          h('div', { class: 'chart-row' }, rate.element, errors.element, latency.element),
          picked,
        ),
      );
    }
    if (result.routes.length > MAX_ROUTES)
      red.append(h('p', { class: 'muted' }, `${result.routes.length - MAX_ROUTES} less busy routes not shown.`));
  };

  const renderRuntime = (result: RuntimeResult): void => {
    if (result.charts.length === 0) return;
    const row = h('div', { class: 'chart-row' });
    for (const chart of result.charts) {
      const drawn = timeChart({
        title: chart.label,
        times: result.times,
        format: FORMATS[chart.unit] ?? ((v: number) => v.toPrecision(3)),
        lines: chart.lines.map((line, i) => ({
          label: line.instance ? `instance ${line.instance.slice(0, 8)}` : `instance ${i + 1}`,
          values: line.values,
        })),
      });
      charts.push(drawn);
      row.append(drawn.element);
    }
    runtime.append(h('h2', {}, 'Runtime'), row);
  };

  const run = async (): Promise<void> => {
    lastRun = Date.now();
    if (!chosen) {
      status.textContent = 'No service has sent metrics or server spans yet.';
      return;
    }
    const query = new URLSearchParams({ service: chosen, since: since.value });
    try {
      const [redResult, runtimeResult] = await Promise.all([api.red(query), api.runtime(query)]);
      for (const c of charts) c.destroy();
      charts = [];
      clear(red);
      clear(runtime);
      status.textContent =
        redResult.source === 'metrics'
          ? `${chosen}: from its http.server.request.duration metric, summed over its instances. Click a point for the traces behind it.`
          : redResult.source === 'spans'
            ? `${chosen} sends no http.server.request.duration metric: these figures are computed from its SERVER spans. Click a point for the traces behind it.`
            : `${chosen} has no HTTP requests in this time range.`;
      renderRed(redResult);
      renderRuntime(runtimeResult);
    } catch (error) {
      status.textContent = `Could not load metrics: ${(error as Error).message}`;
    }
  };

  void api.metricServices().then(({ services, withMetrics }) => {
    for (const s of services) service.append(h('option', { value: s }, withMetrics.includes(s) ? s : `${s} (spans only)`));
    if (!chosen || !services.includes(chosen)) chosen = withMetrics[0] ?? services[0] ?? '';
    service.value = chosen;
    void run();
  });

  return {
    element: h('section', { class: 'metrics-page' }, h('h1', {}, 'Metrics'), form, status, red, runtime),
    refresh: () => {
      if (pending !== undefined) return;
      pending = setTimeout(
        () => {
          pending = undefined;
          void run();
        },
        Math.max(0, REFRESH_MILLIS - (Date.now() - lastRun)),
      );
    },
    dispose: () => {
      if (pending !== undefined) clearTimeout(pending);
      for (const c of charts) c.destroy();
    },
  };
}
