// The overhead benchmark (`npm run bench`): Sightline against no tracing, OpenTelemetry JS and dd-trace,
// side by side in one run, on Node 24 and Node 22. See bench/README.md.
//
// `npm run bench -- --quick [--against <commit>]`: before a change to a hot path lands, `hello` on Node
// 24 only, this build against the previous one (HEAD when the sources have uncommitted changes, else
// HEAD~1) side by side, 100% and 10% sampling, 3 short rounds, no fixed-rate phase: under 3 minutes.
// BENCH_SCENARIOS=hello-log (or hello,hello-log) compares the two builds with one exported log line per request.
//
// Settings (environment): BENCH_CONTENDERS=<text>[,<text>…] (or | between texts)  BENCH_SCENARIOS=hello,realistic,hello-log  BENCH_NODES=24,22 (or current, 26…)  BENCH_ASYNC_CONTEXT_FRAME=off  BENCH_ROUNDS=3
// BENCH_DURATION=8 (s)  BENCH_WARMUP=10 (s)  BENCH_CONNECTIONS=64
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { againstArgument, buildPrevious, previousRef, removePrevious } from './previous-build.mjs';
import { nodeFor, runtimeArgs } from './node-binary.mjs';
import { cpuTotal } from './proc-cpu.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { warmUpParts } from './wrk.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const QUICK = process.argv.includes('--quick');
const AGAINST = againstArgument();
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const DURATION = Number(env.BENCH_DURATION ?? (QUICK ? 5 : 8));
// Ten seconds of load before measuring: a traced app's JIT is still busy after three. V8's
// --trace-opt, hello at 100%: ~100 functions optimized 3-8 s into load (the app's stream code
// again, now that the export connection's socket is a second shape), then 18-72 per 5 s (the
// once-per-batch export path, in Maglev) where untraced compiles 1-9; realistic at 100% still ~150
// between 17 and 22 s. Those compile
// jobs run on the app's core (V8's helper threads) and the code waiting for them runs slower, once
// per process: a measurement in the first seconds charges that to every request. Quick mode keeps
// 2 s: it compares two traced builds, which warm up alike.
const WARMUP = Number(env.BENCH_WARMUP ?? (QUICK ? 2 : 10));
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const SCENARIOS = (env.BENCH_SCENARIOS ?? (QUICK ? 'hello' : 'hello,realistic,hello-log')).split(',');
const NODES = QUICK ? ['24'] : (env.BENCH_NODES ?? '24,22').split(',');
const REQUIRE_SERVICES = env.SIGHTLINE_REQUIRE_SERVICES === '1';
const DATABASE_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const cpus = os.cpus().length;
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const PINNED = cpus >= 2 && hasTaskset;
const pin = (cpu, command, args) => (PINNED ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);
const APP_CPU = 0;
const LOAD_CPU = 1;

const SCENARIO = {
  hello: { app: 'apps/hello.mjs', path: '/items/42' },
  realistic: { app: 'apps/realistic.mjs', path: '/orders/42' },
  'hello-log': { app: 'apps/hello-log.mjs', path: '/items/42' },
};

// Each as its documentation says for an ES-module app: OpenTelemetry's loader hook plus its SDK setup
// preloaded; dd-trace's ESM initializer.
const OTEL_ARGS = ['--experimental-loader=@opentelemetry/instrumentation/hook.mjs', '--require', './contenders/opentelemetry.cjs'];
// dd-trace 6 refuses Node 20 ("incompatible_runtime"), so Node 20 runs dd-trace 5, its supported line there.
const ddArgs = (nodeMajor) => ['--import', `${nodeMajor < 22 ? 'dd-trace5' : 'dd-trace'}/initialize.mjs`];

/** hello-log: one pino line per request, exported as a log record with its trace and span ids. */
function logContenders(sink) {
  const otlp = `http://127.0.0.1:${sink.otlp}`;
  const sightline = {
    OTEL_SERVICE_NAME: 'bench',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
  };
  // OpenTelemetry JS's pino instrumentation sends records to the global LoggerProvider, which its
  // Node SDK sets up for OTEL_LOGS_EXPORTER=otlp.
  const otel = { ...sightline, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SEMCONV_STABILITY_OPT_IN: 'http' };
  const idsOnly = { OTEL_LOGS_EXPORTER: 'none' };
  return [
    { name: 'no tracing', sampling: '-', args: [], env: {} },
    { name: 'Sightline, traces + metrics + logs', sampling: '100%', args: ['--import', 'sightline/register'], env: sightline },
    {
      name: 'Sightline, traces + metrics, ids in lines',
      sampling: '100%',
      args: ['--import', 'sightline/register'],
      env: { ...sightline, ...idsOnly },
    },
    { name: 'OpenTelemetry JS, traces + metrics + logs', sampling: '100%', args: OTEL_ARGS, env: otel },
    { name: 'OpenTelemetry JS, traces + metrics, ids in lines', sampling: '100%', args: OTEL_ARGS, env: { ...otel, ...idsOnly } },
  ];
}

function contenders(sink, nodeMajor) {
  const DD_ARGS = ddArgs(nodeMajor);
  const otlp = `http://127.0.0.1:${sink.otlp}`;
  // Traces and metrics, each exported every OTEL_METRIC_EXPORT_INTERVAL (60 s, the default); the
  // traces-only rows show what the metrics cost.
  const sightline = { OTEL_SERVICE_NAME: 'bench', OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_METRICS_EXPORTER: 'otlp' };
  const tracesOnly = { OTEL_METRICS_EXPORTER: 'none' };
  // OpenTelemetry JS's stable HTTP metrics (http.server.request.duration, as Sightline records) need the opt-in.
  const otel = {
    ...sightline,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_SEMCONV_STABILITY_OPT_IN: 'http',
  };
  const dd = {
    DD_SERVICE: 'bench',
    DD_TRACE_AGENT_URL: `http://127.0.0.1:${sink.agent}`,
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  };
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  return [
    { name: 'no tracing', sampling: '-', args: [], env: {} },
    { name: 'Sightline, traces + metrics', sampling: '100%', args: ['--import', 'sightline/register'], env: sightline },
    { name: 'Sightline, traces + metrics', sampling: '10%', args: ['--import', 'sightline/register'], env: { ...sightline, ...ratio } },
    { name: 'Sightline, traces only', sampling: '100%', args: ['--import', 'sightline/register'], env: { ...sightline, ...tracesOnly } },
    // The continuous profiler (~100 Hz, samples labelled with spans), its OTLP profiles to the sink.
    {
      name: 'Sightline, traces + metrics, profiling on',
      sampling: '100%',
      args: ['--import', 'sightline/register'],
      env: { ...sightline, SIGHTLINE_PROFILING: 'on' },
    },
    {
      name: 'Sightline, traces + metrics, tail sampling on',
      sampling: '10%',
      args: ['--import', 'sightline/register'],
      env: { ...sightline, ...ratio, SIGHTLINE_TAIL_SAMPLING: 'on' },
    },
    { name: 'OpenTelemetry JS, traces + metrics', sampling: '100%', args: OTEL_ARGS, env: otel },
    { name: 'OpenTelemetry JS, traces + metrics', sampling: '10%', args: OTEL_ARGS, env: { ...otel, ...ratio } },
    { name: 'OpenTelemetry JS, traces only', sampling: '100%', args: OTEL_ARGS, env: { ...otel, ...tracesOnly } },
    { name: 'dd-trace', sampling: '100%', args: DD_ARGS, env: dd },
    { name: 'dd-trace', sampling: '10%', args: DD_ARGS, env: { ...dd, DD_TRACE_SAMPLE_RATE: '0.1' } },
  ];
}

/** --quick: this build and the previous one, alternated within each round. */
function quickContenders(sink, previous, scenario) {
  const sightline = {
    OTEL_SERVICE_NAME: 'bench',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.otlp}`,
    OTEL_METRICS_EXPORTER: 'otlp',
  };
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const current = ['--import', 'sightline/register'];
  if (scenario === 'hello-log') {
    // One exported log line per request: the two builds at 100%, each with its records exported.
    const logs = { ...sightline, OTEL_LOGS_EXPORTER: 'otlp' };
    return [
      { name: 'no tracing', sampling: '-', args: [], env: {} },
      { name: 'this build, traces + metrics + logs', sampling: '100%', args: current, env: logs },
      { name: `previous: ${previous.label}, traces + metrics + logs`, sampling: '100%', args: previous.args, env: logs },
    ];
  }
  return [
    { name: 'no tracing', sampling: '-', args: [], env: {} },
    { name: 'this build', sampling: '100%', args: current, env: sightline },
    { name: `previous: ${previous.label}`, sampling: '100%', args: previous.args, env: sightline },
    { name: 'this build', sampling: '10%', args: current, env: { ...sightline, ...ratio } },
    { name: `previous: ${previous.label}`, sampling: '10%', args: previous.args, env: { ...sightline, ...ratio } },
  ];
}

function startProcess(command, args, extraEnv, cpu) {
  const [cmd, argv] = pin(cpu, command, args);
  return spawnReady(cmd, argv, { PATH: env.PATH, HOME: env.HOME, ...extraEnv }, BENCH);
}

async function stop(child, signal = 'SIGTERM', timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function toMs(value) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/** One wrk run against `url`: `connections` of them, and with `script` (a Lua file) the pacing it sets. */
function wrk(url, seconds, connections = CONNECTIONS, script = undefined) {
  const scriptArgs = script === undefined ? [] : ['-s', join(BENCH, script)];
  const [cmd, argv] = pin(LOAD_CPU, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...scriptArgs, url]);
  const out = execFileSync(cmd, argv, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const p50 = toMs(/\s50%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors) throw new Error(`${url} answered ${errors} non-2xx responses`);
  return { rps, requests, p50, p99 };
}

/**
 * Latency at a fixed offered load. wrk with paced.lua: every connection waits a random think time (mean
 * 10 ms) after each reply, so requests arrive spread over time, and the number of connections is chosen
 * (one 2 s calibration run) to offer `rate`. autocannon's `-R`, used until 2026-12-05, sends back to back
 * on every connection until each second's share is spent and then waits for the next second: "half the
 * capacity" was full concurrency for half of each second, and its p99 the saturated app's. A Node
 * generator that sent open-loop on a schedule fell 1-12 ms behind it at 28,000 req/s (~70% of CPU 1),
 * and timed from the schedule that lateness was charged to the app. wrk with think times costs CPU 1
 * about as much per request (~27 us here), but has no schedule to fall behind: each request is timed
 * from its own write.
 */
function fixedRate(url, rate, seconds) {
  const paced = (connections, duration) => ({ ...wrk(url, duration, connections, 'paced.lua'), connections });
  // Each connection offers about 1000 / (10 ms + its reply's latency) requests a second.
  const first = Math.max(1, Math.round(rate / 100));
  const calibration = paced(first, 2);
  const connections = Math.max(1, Math.round((first * rate) / calibration.rps));
  const measured = paced(connections, seconds);
  return { ...measured, rate, served: calibration.requests + measured.requests };
}

function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
  } catch {
    return NaN;
  }
}

async function sinkCount(sink) {
  return await (await fetch(`http://127.0.0.1:${sink.otlp}/count`)).json();
}

/**
 * One contender in one round: warm-up, the measurement at full load, then (unless `pacedRate` is
 * undefined) latency at a paced load in the same warm process: `pacedRate` req/s, or for 'half' half
 * of what this run just served (the untraced app, which sets each round's rate).
 */
async function runContender(nodeBin, scenario, contender, sink, stubUrl, pacedRate) {
  await fetch(`http://127.0.0.1:${sink.otlp}/reset`);
  const app = startProcess(
    nodeBin,
    [...runtimeArgs(nodeBin), ...contender.args, SCENARIO[scenario].app],
    { ...contender.env, DATABASE_URL, REDIS_URL, STUB_URL: stubUrl },
    APP_CPU,
  );
  const { port } = await app.ready;
  const url = `http://127.0.0.1:${port}${SCENARIO[scenario].path}`;
  try {
    // In two runs, so that the first connections close early (see warmUpParts).
    let warmed = 0;
    for (const seconds of warmUpParts(WARMUP)) warmed += wrk(url, seconds).requests;
    const cpuBefore = cpuTotal(app.child.pid);
    const measured = wrk(url, DURATION);
    // CPU per request, all of the app's threads: what a saturated app pays per request, read from its
    // own threads, so less at the mercy of the shared machine than requests per second.
    const cpuPerRequest = (cpuTotal(app.child.pid) - cpuBefore) / measured.requests;
    const rss = peakRssMb(app.child.pid);
    const fixed =
      pacedRate === undefined
        ? { p99: NaN, rate: NaN, served: 0 }
        : fixedRate(url, pacedRate === 'half' ? measured.rps / 2 : pacedRate, DURATION);
    // dd-trace flushes every 2 s and not on SIGTERM; the others flush on SIGTERM. Give every one the same wait.
    await new Promise((r) => setTimeout(r, 2500));
    await stop(app.child);
    await new Promise((r) => setTimeout(r, 300));
    const { spans, logs } = await sinkCount(sink);
    const served = warmed + measured.requests + fixed.served;
    return { ...measured, cpuPerRequest, rss, fixed, spansPerRequest: spans / served, logsPerRequest: logs / served };
  } finally {
    await stop(app.child, 'SIGKILL');
  }
}

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const median = (values) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

/** What a row's CPU is judged against: for a profiling row, the same contender without profiling; else no tracing. */
function referenceRow(rows, row) {
  const suffix = ', profiling on';
  if (!row.contender.endsWith(suffix)) return rows[0];
  const without = row.contender.slice(0, -suffix.length);
  return rows.find((r) => r.contender === without && r.sampling === row.sampling) ?? rows[0];
}

const fmt = (v, digits = 0) => (Number.isNaN(v) ? 'n/a' : v.toFixed(digits));

/**
 * --quick's verdict: this build's throughput over the previous one's, per round (each round runs both
 * back to back, so a pair shares the machine's state) and as the median of those ratios.
 */
function printQuickComparison(rows) {
  for (const sampling of ['100%', '10%']) {
    const current = rows.find((r) => r.contender.startsWith('this build') && r.sampling === sampling);
    const previous = rows.find((r) => r.contender.startsWith('previous') && r.sampling === sampling);
    if (current === undefined || previous === undefined) continue;
    const ratios = current.rounds.map((r, i) => r.rps / previous.rounds[i].rps);
    const shown = ratios.map((r) => r.toFixed(2)).join(', ');
    console.log(`${sampling} sampling: this build / previous = ${median(ratios).toFixed(2)} (rounds: ${shown})`);
  }
  console.log('');
}

async function main() {
  const stamp = new Date().toISOString();
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cpus} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  console.log(`# Sightline overhead benchmark, ${stamp}\n`);
  console.log(
    `Machine: ${machine}. ${PINNED ? `App pinned to CPU ${APP_CPU}; wrk, the sink and the stub to CPU ${LOAD_CPU}.` : 'NOT pinned (needs 2+ CPUs and taskset): figures are noisier.'}`,
  );
  console.log(
    `Each figure is the median of ${ROUNDS} rounds of ${DURATION} s (after ${WARMUP} s warm-up, its first second on connections closed before the rest), contenders alternated within each round; wrk, ${CONNECTIONS} connections.\n`,
  );

  if (PINNED && SCENARIOS.includes('realistic')) {
    // Postgres and Redis would otherwise be scheduled on the app's CPU too and blur the comparison.
    for (const name of ['postgres', 'redis-server']) {
      try {
        for (const pid of execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
          execFileSync('taskset', ['-a', '-cp', String(LOAD_CPU), pid], { stdio: 'ignore' });
        }
        console.log(`${name} processes pinned to CPU ${LOAD_CPU} for this run.`);
      } catch {
        // Not running here, or not ours to move: the realistic figures are then noisier.
      }
    }
    console.log('');
  }

  const sinkProc = startProcess(process.execPath, ['sink.mjs'], {}, LOAD_CPU);
  const sink = await sinkProc.ready;
  const stubProc = startProcess(process.execPath, ['apps/stub.mjs'], {}, LOAD_CPU);
  const stubUrl = `http://127.0.0.1:${(await stubProc.ready).port}/quote`;
  const all = [];
  const resultsFile = join(BENCH, 'results', `${stamp.replace(/[:.]/g, '-')}.json`);
  const saveResults = () => {
    mkdirSync(join(BENCH, 'results'), { recursive: true });
    const run = { stamp, machine, pinned: PINNED, rounds: ROUNDS, duration: DURATION, warmup: WARMUP, connections: CONNECTIONS };
    writeFileSync(resultsFile, JSON.stringify({ ...run, results: all }, null, 2));
  };
  let previous;
  if (QUICK) {
    const ref = previousRef(AGAINST);
    process.stderr.write(`bench: building ${ref} beside this checkout, in bench/.previous\n`);
    previous = await buildPrevious(ref);
    console.log(`Quick mode: this build against ${previous.label}, ${SCENARIOS.join(' and ')} on Node 24 only, no fixed-rate phase.\n`);
  }
  try {
    for (const nodeName of NODES) {
      const nodeBin = nodeFor(nodeName);
      const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
      for (const scenario of SCENARIOS) {
        if (scenario === 'realistic' && !((await reachable(DATABASE_URL)) && (await reachable(REDIS_URL)))) {
          const line = `realistic: skipped, Postgres (${DATABASE_URL}) or Redis (${REDIS_URL}) is not reachable`;
          if (REQUIRE_SERVICES) throw new Error(line + ' and SIGHTLINE_REQUIRE_SERVICES=1');
          console.log(line + '\n');
          continue;
        }
        // BENCH_CONTENDERS=Sightline keeps the untraced row and those whose name and sampling ("Sightline,
        // traces + metrics 10%") contain the text, or one of several texts separated by commas (by `|`
        // when the texts themselves hold commas).
        const only = env.BENCH_CONTENDERS?.split(env.BENCH_CONTENDERS.includes('|') ? '|' : ',');
        const candidates = QUICK
          ? quickContenders(sink, previous, scenario)
          : scenario === 'hello-log'
            ? logContenders(sink)
            : contenders(sink, Number(version.slice(1).split('.')[0]));
        const list = candidates.filter(
          (c) => only === undefined || c.name === 'no tracing' || only.some((text) => `${c.name} ${c.sampling}`.includes(text)),
        );
        const rounds = list.map(() => []);
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < list.length; i++) {
            process.stderr.write(`bench: ${version} ${scenario} round ${round + 1}/${ROUNDS}: ${list[i].name} ${list[i].sampling}\n`);
            // Each round's paced rate is half of what the untraced app (first in the round) served in it.
            const pacedRate = QUICK ? undefined : i === 0 ? 'half' : rounds[0][round].fixed.rate;
            rounds[i].push(await runContender(nodeBin, scenario, list[i], sink, stubUrl, pacedRate));
          }
        }
        const rows = list.map((c, i) => ({
          contender: c.name,
          sampling: c.sampling,
          rps: median(rounds[i].map((r) => r.rps)),
          cpuPerRequest: median(rounds[i].map((r) => r.cpuPerRequest)),
          p50: median(rounds[i].map((r) => r.p50)),
          p99: median(rounds[i].map((r) => r.p99)),
          rss: median(rounds[i].map((r) => r.rss)),
          spansPerRequest: median(rounds[i].map((r) => r.spansPerRequest)),
          logsPerRequest: median(rounds[i].map((r) => r.logsPerRequest)),
          rounds: rounds[i],
        }));
        const base = rows[0];
        // The paced phase's rate, half the untraced app's throughput in each round: its median.
        const halfLoad = QUICK ? base.rps / 2 : median(base.rounds.map((r) => r.fixed.rate));
        for (const row of rows) row.fixedRate = { p99: median(row.rounds.map((r) => r.fixed.p99)) };
        const frame = runtimeArgs(nodeBin);
        console.log(
          `## ${scenario}, Node ${version}${frame.length > 0 ? ` (every contender, untraced too, with ${frame.join(' ')})` : ''}\n`,
        );
        const logsColumn = scenario === 'hello-log';
        console.log(
          `| contender | sampling | req/s | vs no tracing | same, per round | CPU µs/request | kept, by CPU | p50 ms | p99 ms | p99 ms at ${fmt(halfLoad)} req/s | peak RSS MB | vs no tracing | spans/request |${logsColumn ? ' log records/request |' : ''}`,
        );
        console.log(`|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${logsColumn ? '---:|' : ''}`);
        for (const r of rows) {
          // Each round runs every contender back to back: its ratio to the same round's untraced run is
          // steadier on a shared machine than the ratio of medians taken over all rounds.
          r.perRound = median(r.rounds.map((round, k) => round.rps / base.rounds[k].rps));
          // The throughput one core keeps, by CPU time: the reference's CPU per request over this row's,
          // per round. Profiling is judged against the same contender with profiling off (issue 18).
          const reference = referenceRow(rows, r);
          r.keptByCpu = median(r.rounds.map((round, k) => reference.rounds[k].cpuPerRequest / round.cpuPerRequest));
          console.log(
            `| ${r.contender} | ${r.sampling} | ${fmt(r.rps)} | ${fmt((100 * r.rps) / base.rps)}% | ${fmt(100 * r.perRound)}% | ${fmt(r.cpuPerRequest, 1)} | ${r === base ? '' : `${fmt(100 * r.keptByCpu)}%${reference === base ? '' : ' of profiling off'}`} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.fixedRate.p99, 2)} | ${fmt(r.rss)} | ${r === base ? '' : `${r.rss >= base.rss ? '+' : ''}${fmt(r.rss - base.rss)}`} | ${r === base ? '' : fmt(r.spansPerRequest, 2)} |${logsColumn ? ` ${r === base ? '' : fmt(r.logsPerRequest, 2)} |` : ''}`,
          );
        }
        console.log('');
        if (QUICK) printQuickComparison(rows);
        all.push({ node: version, scenario, halfLoad, rows });
        // Written after every scenario, not only at the end: a run stopped part-way keeps what it measured.
        saveResults();
      }
    }
  } finally {
    await stop(sinkProc.child, 'SIGKILL');
    await stop(stubProc.child, 'SIGKILL');
    if (QUICK) removePrevious();
  }
  console.log(`JSON: ${resultsFile}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
