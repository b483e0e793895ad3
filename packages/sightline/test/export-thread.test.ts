// Which thread delivers OTLP (SIGHTLINE_EXPORT_THREAD): by default the app's own event loop for plain
// http: endpoints, with a thread started only at process exit, and the export worker for https: and
// gRPC. What `main` must not break: the exporter's own requests are never traced or measured (they
// would feed themselves), what is on the wire at process.exit() arrives once, and every span of a busy
// app reaches the collector.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { exportThreadFor } from '../src/lifecycle/sightline.js';
import { FIXTURES, hit, startApp } from './support/child-app.js';
import { startMetricsReceiver } from './support/otlp-metrics-receiver.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

/**
 * `node --import sightline/register -e <25 spans>` in the fixtures folder, with `env` and nothing else of
 * this process's environment but PATH; `lingerMillis` keeps the process alive that long after the spans.
 * Killed after 20 s.
 */
async function runTwentyFiveSpans(env: Record<string, string>, lingerMillis = 0): Promise<{ code: number | null; signal: string | null }> {
  const spans = "for (let i = 0; i < 25; i++) trace.getTracer('t').startSpan('s' + i).end();";
  const linger = lingerMillis > 0 ? ` setTimeout(() => {}, ${lingerMillis});` : '';
  const child = spawn(
    process.execPath,
    ['--import', 'sightline/register', '-e', `import('@opentelemetry/api').then(({ trace }) => { ${spans}${linger} })`],
    {
      cwd: FIXTURES,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    },
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal };
}

describe('SIGHTLINE_EXPORT_THREAD', () => {
  it('is the app’s event loop for plain http: OTLP/HTTP endpoints and the export worker for https: and gRPC, unless set', () => {
    const http = {
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
      headers: {},
      compression: 'none',
      timeoutMillis: 10_000,
    } as const;
    const json = { ...http, protocol: 'http/json', url: 'HTTP://collector:4318/v1/metrics' } as const;
    const https = { ...http, url: 'https://collector:4318/v1/logs' } as const;
    const grpc = { ...http, protocol: 'grpc', url: 'http://collector:4317' } as const;
    assert.equal(exportThreadFor('auto', { traces: http, metrics: json }), 'main');
    assert.equal(exportThreadFor('auto', { traces: http, metrics: json, logs: https }), 'worker', 'one https: endpoint');
    assert.equal(exportThreadFor('auto', { traces: grpc }), 'worker', 'gRPC');
    assert.equal(exportThreadFor('main', { traces: https }), 'main');
    assert.equal(exportThreadFor('worker', { traces: http }), 'worker');
    assert.equal(loadConfig({}, {}).exportThread, 'auto');
    assert.equal(loadConfig({}, { SIGHTLINE_EXPORT_THREAD: 'Main' }).exportThread, 'main');
    assert.equal(loadConfig({}, { SIGHTLINE_EXPORT_THREAD: 'thread' }).exportThread, 'auto');
    assert.equal(loadConfig({ exportThread: 'worker' }, { SIGHTLINE_EXPORT_THREAD: 'main' }).exportThread, 'worker');
  });

  it('for an http: endpoint neither the app’s thread nor the export worker loads node:https, node:http2 or TLS (~8 MB of RSS)', async () => {
    const receiver = await startHttpReceiver();
    const reports = mkdtempSync(join(tmpdir(), 'sightline-modules-'));
    try {
      // Alive for a while after the spans, so that the worker's report (every 50 ms) is made after its code loaded.
      const { code } = await runTwentyFiveSpans(
        {
          OTEL_BSP_SCHEDULE_DELAY: '100',
          NODE_OPTIONS: `--require ${join(FIXTURES, 'report-modules.cjs')}`,
          REPORT_DIR: reports,
          OTEL_SERVICE_NAME: 'worker-modules',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          SIGHTLINE_EXPORT_THREAD: 'worker',
        },
        500,
      );
      assert.equal(code, 0);
      assert.equal(receiver.spans.length, 25, 'the worker delivered');
      const workers = readdirSync(reports).filter((f) => f.startsWith('worker-'));
      assert.equal(workers.length, 1, `one worker thread reported: ${readdirSync(reports).join(', ')}`);
      assert.deepEqual(JSON.parse(readFileSync(join(reports, workers[0]!), 'utf8')), [], 'the export worker');
      // An ES-module import of node:http loads them all (through Node's undici): see builtins/http.ts.
      assert.deepEqual(JSON.parse(readFileSync(join(reports, 'main.json'), 'utf8')), [], 'the app’s thread');
    } finally {
      rmSync(reports, { recursive: true, force: true });
      await receiver.close();
    }
  });

  it('never traces or measures the exporter’s own requests, and a natural exit ends at once', async () => {
    const receiver = await startHttpReceiver();
    try {
      // The http instrumentation on: each export request would otherwise make a client span, exported
      // by the next request, and the process would never run out of work.
      const { code, signal } = await runTwentyFiveSpans({
        OTEL_SERVICE_NAME: 'natural-end',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        SIGHTLINE_EXPORT_THREAD: 'main',
      });
      assert.equal(signal, null, 'the process ended by itself');
      assert.equal(code, 0);
      assert.equal(receiver.spans.length, 25);
      assert.ok(receiver.requests.length <= 4, `${receiver.requests.length} trace requests for 25 spans`);
    } finally {
      await receiver.close();
    }
  });

  it('gives an app’s HTTP server spans, and no client span for the exports between them', async () => {
    const receiver = await startHttpReceiver();
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'export-not-traced',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      SIGHTLINE_EXPORT_THREAD: 'main',
    });
    try {
      await hit(app.port, '/items/1', 50, 4);
      app.child.kill('SIGTERM');
      await app.exited;
      const server = receiver.spans.filter((s) => s.kind === 2);
      const client = receiver.spans.filter((s) => s.kind === 3);
      assert.ok(server.length >= 50, `${server.length} server spans; stderr: ${app.stderr()}`);
      assert.deepEqual(
        client.map((s) => `${s.name} ${String(s.attributes['server.port'])}`),
        [],
        'no span for a request to the collector',
      );
    } finally {
      await receiver.close();
    }
  });

  it('measures no HTTP client duration for the exporter’s requests, while it measures the app’s', async () => {
    const receiver = await startMetricsReceiver();
    const app = await startApp('metrics-app.mjs', {
      OTEL_SERVICE_NAME: 'export-not-measured',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      OTEL_METRIC_EXPORT_INTERVAL: '100',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      SIGHTLINE_EXPORT_THREAD: 'main',
    });
    try {
      // The app's own node:http call (and fetch, and a refused one): measured, to the app's own port.
      assert.equal((await fetch(`http://127.0.0.1:${app.port}/outbound`)).status, 200);
      const durations = () => receiver.metrics.filter((m) => m.name === 'http.client.request.duration').flatMap((m) => m.points);
      // Several exports of traces and metrics have happened by the time the app's calls are seen.
      await receiver.waitFor(
        () => durations().some((p) => p.attributes['server.port'] === app.port) && receiver.metrics.length > 20,
        20_000,
      );
      const ports = new Set(durations().map((p) => p.attributes['server.port']));
      assert.ok(ports.has(app.port));
      assert.ok(
        !ports.has(Number(new URL(receiver.url).port)),
        `a duration was measured for a request to the collector (ports: ${[...ports].join(', ')})`,
      );
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('delivers at process.exit() what was on the wire, unanswered, from the thread started then', async () => {
    // The collector never answers the first request; the exit thread sends its batch again.
    const run = await exitWithRequestOnTheWire(() => undefined);
    assert.equal(run.code, 0);
    assert.deepEqual(run.traceBodies, [run.traceBodies[0], run.traceBodies[0]], 'the held request, then the same batch again');
    assert.equal(run.answered, 1);
    assert.doesNotMatch(run.stderr, /lost/);
  });

  it('reads the answer to a request on the wire at process.exit() off its socket, and does not send it twice', async () => {
    // The answer is sent only once the app is in its exit handlers, where no event loop runs.
    const run = await exitWithRequestOnTheWire((answer) => answer());
    assert.equal(run.code, 0);
    assert.equal(run.traceBodies.length, 1, 'one request: its answer was read at exit, so it was not sent again');
    assert.equal(run.answered, 1);
    assert.doesNotMatch(run.stderr, /lost/);
  });

  it('on the event loop, delivers all 2,000 spans, none twice, when the app’s own SIGTERM handler calls process.exit(0)', async () => {
    const receiver = await startHttpReceiver();
    const app = await startApp('app.mjs', {
      OTEL_SERVICE_NAME: 'exit-main',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      SIGHTLINE_EXPORT_THREAD: 'main',
      APP_OWN_SIGTERM: '1',
    });
    try {
      await hit(app.port, '/items/1', 2000, 32);
      app.child.kill('SIGTERM');
      const { code } = await app.exited;
      assert.equal(code, 0);
      assert.equal(receiver.spans.length, 2000, `stderr: ${app.stderr()}`);
      assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 2000, 'no span twice');
    } finally {
      await receiver.close();
    }
  });
});

/**
 * Runs exit-in-flight.mjs with SIGHTLINE_EXPORT_THREAD=main against a collector that holds the first
 * traces request: once it has the whole request the app is told to exit, and once the app says it is
 * in its exit handlers `atExit` may answer the held request. Later requests are answered at once.
 */
async function exitWithRequestOnTheWire(atExit: (answer: () => void) => void) {
  const traceBodies: string[] = [];
  let answered = 0;
  let held: (() => void) | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ok = (): void => {
        answered++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      };
      if (!(req.url ?? '').endsWith('/v1/traces')) return void res.writeHead(200).end();
      traceBodies.push(Buffer.concat(chunks).toString('base64'));
      if (traceBodies.length > 1) return ok();
      held = ok;
      child!.kill('SIGUSR2');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    child = spawn(process.execPath, ['--import', 'sightline/register', FIXTURES + 'exit-in-flight.mjs'], {
      cwd: FIXTURES,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'in-flight',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_METRICS_EXPORTER: 'none',
        SIGHTLINE_EXPORT_THREAD: 'main',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('exiting') && held !== undefined) {
        const answer = held;
        held = undefined;
        atExit(answer);
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, traceBodies, answered, stderr };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
