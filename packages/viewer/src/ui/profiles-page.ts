// The profiles page: for one service, where its CPU (or wall) time went over a time range, for one
// route or all of them, as a flame graph; with a baseline range, the difference between the two.
import { api } from './api.js';
import { choice, clear, field, formParams, h, RECENT_RANGES } from './dom.js';
import { flameGraph } from './flame-graph.js';

const BASELINES: Array<[string, string]> = [
  ['', 'No comparison'],
  ['1h', 'The hour before'],
  ['6h', 'The 6 hours before'],
  ['24h', 'The day before'],
];
const ALL_ROUTES = '*';

export interface ProfilesPage {
  element: HTMLElement;
  refresh(): void;
}

const hoursOf = (range: string): number => Number(range.slice(0, -1)) / (range.endsWith('m') ? 60 : 1);

export function profilesPage(params: URLSearchParams): ProfilesPage {
  const service = h('select', { name: 'service' });
  const route = h('select', { name: 'route' });
  const type = choice(
    'type',
    [
      ['cpu', 'CPU time'],
      ['wall', 'Wall time'],
    ],
    params.get('type') ?? 'cpu',
  );
  const since = choice('since', RECENT_RANGES, params.get('since') ?? '1h');
  const baseline = choice('baseline', BASELINES, params.get('baseline') ?? '');
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const graphSlot = h('div', { class: 'profiles-graph' });
  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    field('Service', service),
    field('Route', route),
    field('Time', type),
    field('Time range', since),
    field('Compare with', baseline),
    h('button', { type: 'submit', class: 'primary' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/profiles?${formParams(form)}`;
  });
  for (const control of [service, route, type, since, baseline]) control.addEventListener('change', () => form.requestSubmit());

  const load = async (): Promise<void> => {
    try {
      const { routes } = await api.profiledRoutes(new URLSearchParams({ type: type.value }));
      const services = [...new Set(routes.map((r) => r.service))].sort();
      const chosen = params.get('service') ?? services[0] ?? '';
      service.replaceChildren(...services.map((s) => h('option', { value: s }, s)));
      service.value = chosen;
      const ofService = routes.filter((r) => r.service === chosen);
      route.replaceChildren(
        h('option', { value: ALL_ROUTES }, 'All routes'),
        ...ofService.map((r) => h('option', { value: r.route }, r.route === '' ? '(no route)' : r.route)),
      );
      route.value = params.get('route') ?? ALL_ROUTES;
      if (chosen === '') {
        status.textContent = 'No profiles yet. Run the app with SIGHTLINE_PROFILING=on; profiles arrive every 30 s.';
        clear(graphSlot);
        return;
      }
      const query = new URLSearchParams({ service: chosen, type: type.value, since: since.value });
      if (route.value !== ALL_ROUTES) query.set('route', route.value);
      let graph;
      if (baseline.value !== '') {
        const now = Date.now();
        const start = now - hoursOf(since.value) * 3_600_000;
        query.set('baseSince', String(Math.round(start - hoursOf(baseline.value) * 3_600_000)));
        query.set('baseUntil', String(Math.round(start)));
        graph = await api.flameDiff(query);
      } else graph = await api.flame(query);
      const what = `${chosen}${route.value === ALL_ROUTES ? '' : ` ${route.value}`}`;
      status.textContent = `${graph.samples} sample rows of ${what}`;
      graphSlot.replaceChildren(flameGraph(graph, `${type.value === 'cpu' ? 'CPU' : 'Wall'} profile of ${what}`));
    } catch (error) {
      status.textContent = `Profiles could not be loaded: ${(error as Error).message}`;
    }
  };
  void load();
  const element = h('section', { class: 'profiles-page', 'aria-label': 'Profiles' }, h('h1', {}, 'Profiles'), form, status, graphSlot);
  return { element, refresh: () => void load() };
}
