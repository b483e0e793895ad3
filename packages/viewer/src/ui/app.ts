// The UI's entry: hash routing between the search, trace, logs and metrics pages, live updates from the
// server's event stream, and the header's import and clear-data actions.

import { api } from './api.js';
import { clear } from './dom.js';
import { logsPage, type LogsPage } from './logs-page.js';
import { metricsPage, type MetricsPage } from './metrics-page.js';
import { profilesPage, type ProfilesPage } from './profiles-page.js';
import { searchPage, type SearchPage } from './search-page.js';
import { tracePage, type TracePage } from './trace-page.js';

const app = document.getElementById('app')!;
const live = document.getElementById('live')!;
let page: SearchPage | TracePage | LogsPage | MetricsPage | ProfilesPage | undefined;

function route(): void {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?') as [string, string | undefined];
  const params = new URLSearchParams(query ?? '');
  const traceMatch = /^\/trace\/([0-9a-fA-F]{32})$/.exec(path);
  const logs = path === '/logs';
  const metrics = path === '/metrics';
  const profiles = path === '/profiles';
  if (page && 'dispose' in page) page.dispose();
  page = traceMatch
    ? tracePage(traceMatch[1]!.toLowerCase(), params)
    : logs
      ? logsPage(params)
      : metrics
        ? metricsPage(params)
        : profiles
          ? profilesPage(params)
          : searchPage(params);
  clear(app);
  app.append(page.element);
  document.title = traceMatch
    ? `Trace ${traceMatch[1]!.slice(0, 8)} · Sightline`
    : logs
      ? 'Logs · Sightline'
      : metrics
        ? 'Metrics · Sightline'
        : profiles
          ? 'Profiles · Sightline'
          : 'Search · Sightline';
  for (const link of document.querySelectorAll('nav a')) {
    const current =
      link.getAttribute('href') === (logs ? '#/logs' : metrics ? '#/metrics' : profiles ? '#/profiles' : traceMatch ? '' : '#/');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

window.addEventListener('hashchange', route);
route();

// New spans or logs: the search and logs pages re-run their search; a trace page reloads only if
// its own trace grew.
const events = new EventSource('/api/events');
events.addEventListener('open', () => (live.textContent = 'live'));
events.addEventListener('error', () => (live.textContent = 'reconnecting…'));
events.addEventListener('traces', (event) => {
  const ids = JSON.parse((event as MessageEvent<string>).data) as string[];
  live.textContent = `live · updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
  if (!page) return;
  if ('traceId' in page) {
    if (ids.includes(page.traceId)) page.refresh();
  } else page.refresh();
});

const importInput = document.getElementById('import-file') as HTMLInputElement;
importInput.addEventListener('change', async () => {
  const file = importInput.files?.[0];
  if (!file) return;
  try {
    const result = await api.import(file);
    const logs = result.logRecords ? `, ${result.logRecords} log record(s)` : '';
    live.textContent = `imported ${result.traces} trace(s)${logs} from ${file.name}${result.rejectedSpans ? `, ${result.rejectedSpans} span(s) rejected` : ''}`;
    page?.refresh();
  } catch (error) {
    live.textContent = `import of ${file.name} failed: ${(error as Error).message}`;
  } finally {
    importInput.value = '';
  }
});

document.getElementById('clear-data')!.addEventListener('click', async () => {
  if (!confirm('Delete every stored trace and log record?')) return;
  await api.clear();
  location.hash = '#/';
  route();
});
