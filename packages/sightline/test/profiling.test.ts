// The continuous profiler: samples labelled with the span and route they ran under, root spans that
// name their profile, pprof that an independent reader parses, delivered to a Pyroscope-compatible
// /ingest; and an app whose profiler cannot load runs and traces, with one warning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURES, startApp } from './support/child-app.js';
import { profilesRequestToObject } from '@sightline/otlp';
import { startViewer } from 'sightline-viewer';
import { startHttpReceiver } from './support/otlp-receiver.js';
import { samplesOf, startPyroscopeReceiver } from './support/pyroscope-receiver.js';

// Node 22 runs AsyncLocalStorage on AsyncContextFrame only when asked; 24 and later always do.
const ASYNC_CONTEXT_FRAME: Record<string, string> =
  Number(process.versions.node.split('.')[0]) < 24 ? { NODE_OPTIONS: '--experimental-async-context-frame' } : {};

const appEnv = (otlp: string, pyroscope: string): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
  OTEL_SERVICE_NAME: 'profiled',
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  SIGHTLINE_PROFILING: 'on',
  SIGHTLINE_PROFILING_ENDPOINT: pyroscope,
  ...ASYNC_CONTEXT_FRAME,
});

interface FlameNode {
  name: string;
  value: number;
  children: FlameNode[];
}

interface OtlpSample {
  traceId: string;
  spanId: string;
  route: string | undefined;
  functions: string[];
  value: number;
}

/** The cpu profile's samples of an OTLP/JSON profiles request, resolved through its dictionary. */
function otlpCpuSamples(request: Record<string, unknown>): OtlpSample[] {
  type Json = Record<string, any>;
  const d = request.dictionary as Json;
  const strings = d.stringTable as string[];
  const functionName = (i: number): string => strings[(d.functionTable[i] as Json).nameStrindex ?? 0] ?? '';
  const out: OtlpSample[] = [];
  for (const rp of request.resourceProfiles as Json[])
    for (const sp of rp.scopeProfiles as Json[])
      for (const profile of sp.profiles as Json[]) {
        if (strings[profile.sampleType.typeStrindex] !== 'cpu') continue;
        for (const sample of profile.samples as Json[]) {
          const link = d.linkTable[sample.linkIndex] as Json;
          const route = (sample.attributeIndices as number[])
            .map((i) => d.attributeTable[i] as Json)
            .find((a) => strings[a.keyStrindex] === 'http.route')?.value.stringValue;
          const locations = (d.stackTable[sample.stackIndex] as Json).locationIndices as number[];
          const functions = locations.flatMap((l) =>
            ((d.locationTable[l] as Json).lines as Json[]).map((line) => functionName(line.functionIndex)),
          );
          out.push({ traceId: link.traceId, spanId: link.spanId, route, functions, value: Number(sample.values[0]) });
        }
      }
  return out;
}

/** The fixture app with profiling on, exporting to an OTLP receiver (keeping the profiles requests) and a Pyroscope one. */
async function startProfiledApp() {
  const otlpProfiles: Buffer[] = [];
  const receiver = await startHttpReceiver((req, body) => {
    if (req.url === '/v1development/profiles') otlpProfiles.push(body);
    return undefined;
  });
  const pyroscope = await startPyroscopeReceiver();
  const app = await startApp('profiling-app.mjs', appEnv(receiver.url, pyroscope.url));
  return { receiver, otlpProfiles, pyroscope, app };
}

describe('profiling', () => {
  it('labels samples with the request they ran under: the /slow root names its profile, whose samples show the burning function', async () => {
    const { receiver, otlpProfiles, pyroscope, app } = await startProfiledApp();
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/slow`)).text();
      for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${app.port}/fast`)).text();
      app.child.kill('SIGTERM');
      await app.exited;
      assert.deepEqual(pyroscope.rejected, []);
      assert.ok(pyroscope.profiles.length >= 1, `a profile was sent at shutdown; stderr: ${app.stderr()}`);

      const servers = receiver.spans.filter((s) => s.kind === 2);
      const slow = servers.find((s) => s.name === 'GET /slow');
      const fast = servers.filter((s) => s.name === 'GET /fast');
      assert.ok(slow, 'the /slow server span was exported');
      assert.equal(fast.length, 5);
      assert.equal(slow.attributes['pyroscope.profile.id'], slow.spanId, 'the slow root names its profile by its span id');

      const ingested = pyroscope.profiles;
      const { query } = ingested[0]!;
      assert.equal(query.get('name'), 'profiled');
      assert.equal(query.get('spyName'), 'nodespy');
      assert.ok(Number(query.get('until')) >= Number(query.get('from')));
      const samples = ingested.flatMap(({ profile }) => samplesOf(profile));
      const sampleTypes = ingested[0]!.profile.sampleType.map((t) => ingested[0]!.profile.stringTable.strings[Number(t.type)]);
      assert.deepEqual(sampleTypes, ['sample', 'wall', 'cpu']);

      const underSlow = samples.filter((s) => s.labels.span_id === slow.spanId);
      const total = underSlow.reduce((n, s) => n + s.count, 0);
      const inBurn = underSlow.filter((s) => s.functions.includes('burnCpuInSlowRoute')).reduce((n, s) => n + s.count, 0);
      assert.ok(total >= 10, `at ~100 Hz a 400 ms request gets samples (got ${total})`);
      assert.ok(inBurn / total > 0.5, `most of the /slow request's samples are in burnCpuInSlowRoute (${inBurn} of ${total})`);
      assert.ok(
        underSlow.every((s) => s.labels.span_name === 'GET /slow' && s.labels.http_route === '/slow'),
        'samples carry the root span name and route',
      );
      assert.ok(
        underSlow.every((s) => s.labels.active_span_id === undefined && s.labels.trace_id === undefined),
        'per-span labels other than span_id are not sent to Pyroscope, which would index them as series',
      );
      const fastIds = new Set(fast.map((s) => s.spanId));
      const underFast = samples.filter((s) => fastIds.has(s.labels.span_id ?? ''));
      assert.ok(
        underFast.every((s) => !s.functions.includes('burnCpuInSlowRoute')),
        'no sample under a /fast request is in the slow function',
      );
      const burnElsewhere = samples.filter((s) => s.functions.includes('burnCpuInSlowRoute') && s.labels.span_id !== slow.spanId);
      assert.deepEqual(burnElsewhere, [], 'every sample in the slow function is labelled with the /slow request');

      // The same samples as OTLP profiles (the development signal), through the export worker.
      assert.ok(otlpProfiles.length >= 1, 'an OTLP profiles request was sent');
      const otlpSamples = otlpProfiles.flatMap((body) => otlpCpuSamples(profilesRequestToObject(body)));
      const linkedToSlow = otlpSamples.filter((s) => s.traceId === slow.traceId && s.spanId === slow.spanId);
      const cpuSlow = linkedToSlow.reduce((n, s) => n + s.value, 0);
      const cpuBurn = linkedToSlow.filter((s) => s.functions.includes('burnCpuInSlowRoute')).reduce((n, s) => n + s.value, 0);
      assert.ok(
        cpuSlow > 0 && cpuBurn / cpuSlow > 0.5,
        `most CPU linked to the /slow span is in burnCpuInSlowRoute (${cpuBurn} of ${cpuSlow} ns)`,
      );
      assert.ok(
        linkedToSlow.every((s) => s.route === '/slow'),
        'each sample carries its route',
      );
      assert.ok(
        otlpSamples.filter((s) => fastIds.has(s.spanId)).every((s) => !s.functions.includes('burnCpuInSlowRoute')),
        'no CPU linked to a /fast span is in the slow function',
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
      await pyroscope.close();
    }
  });

  it('in the viewer, the /slow request’s flame graph is mostly the function that burned its CPU', async () => {
    const viewer = await startViewer({ port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, host: '127.0.0.1' });
    const env = appEnv(viewer.otlpHttpUrl, 'http://127.0.0.1:1');
    delete env.SIGHTLINE_PROFILING_ENDPOINT;
    const app = await startApp('profiling-app.mjs', env);
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/slow`)).text();
      await (await fetch(`http://127.0.0.1:${app.port}/fast`)).text();
      app.child.kill('SIGTERM');
      await app.exited;
      const [slow] = viewer.store.search({ name: 'GET /slow', limit: 10 });
      assert.ok(slow, app.stderr());
      const root = viewer.store.trace(slow.traceId).find((s) => s.span.name === 'GET /slow')!.span;
      const response = await fetch(`${viewer.uiUrl}/api/profiles/flame?traceId=${slow.traceId}&spanId=${String(root.spanId)}`);
      const graph = (await response.json()) as { root: FlameNode };
      // The time under the burning function (it and what it calls), wherever it sits in the tree.
      const under = (node: FlameNode): number =>
        node.name.startsWith('burnCpuInSlowRoute ') ? node.value : node.children.reduce((sum, child) => sum + under(child), 0);
      assert.ok(
        under(graph.root) / graph.root.value > 0.5,
        `most of the span’s CPU time is under burnCpuInSlowRoute (${under(graph.root)} of ${graph.root.value} ns)`,
      );
    } finally {
      app.child.kill('SIGKILL');
      await viewer.close();
    }
  });

  it('hands the last profile to the export worker at the app’s own process.exit()', async () => {
    const { receiver, otlpProfiles, pyroscope, app } = await startProfiledApp();
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/slow`)).text();
      await (await fetch(`http://127.0.0.1:${app.port}/exit`)).text();
      await app.exited;
      const slow = receiver.spans.find((s) => s.name === 'GET /slow');
      assert.ok(slow, app.stderr());
      const linked = otlpProfiles.flatMap((body) => otlpCpuSamples(profilesRequestToObject(body))).filter((s) => s.spanId === slow.spanId);
      assert.ok(
        linked.some((s) => s.functions.includes('burnCpuInSlowRoute')),
        `the profile sampled before process.exit() arrived over OTLP (${otlpProfiles.length} requests)`,
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
      await pyroscope.close();
    }
  });

  it('runs and traces with one warning when the profiler cannot load', async () => {
    const receiver = await startHttpReceiver();
    const pyroscope = await startPyroscopeReceiver();
    const env = appEnv(receiver.url, pyroscope.url);
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import ${FIXTURES}no-pprof-hook.mjs`.trim();
    const app = await startApp('profiling-app.mjs', env);
    try {
      await (await fetch(`http://127.0.0.1:${app.port}/slow`)).text();
      app.child.kill('SIGTERM');
      await app.exited;
      const slow = receiver.spans.find((s) => s.name === 'GET /slow');
      assert.ok(slow, 'the request was traced');
      assert.equal(slow.attributes['pyroscope.profile.id'], undefined);
      const warnings = app
        .stderr()
        .split('\n')
        .filter((line) => /profil/i.test(line));
      assert.equal(warnings.length, 1, app.stderr());
      assert.match(warnings[0]!, /profiling is off: the profiler \(@datadog\/pprof\) could not be loaded \(No native build was found/);
      assert.equal(pyroscope.profiles.length, 0);
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
      await pyroscope.close();
    }
  });
});
