// Memory over time (`npm run bench:memory`): `hello` under constant load for minutes, untraced and with
// Sightline, printing peak RSS (VmHWM) every 10 s and what the main thread's young generation did.
// The throughput benchmark's 8 s rounds see only the start: V8 grows its young generation as objects
// survive scavenges, a little at a time and for good, so an app whose requests leave a few objects
// alive between scavenges keeps growing for minutes. That is how an idle keep-alive connection holding
// its last request's span was found (its socket's idle timer kept the request's async context).
//
// `--against <commit>` runs that commit's build beside this one in each mode.
// Settings (environment): BENCH_SECONDS=120  BENCH_CONNECTIONS=64  BENCH_MODES=100%,10% (`profiling`
// adds 100% with the continuous profiler on; `worker` and `10% worker` export through the worker
// thread; untraced always runs)  BENCH_NODES=24 (current, 22, 24 or 26; Node 22 with
// --experimental-async-context-frame, as in bench:cpu, unless BENCH_ASYNC_CONTEXT_FRAME=off)  BENCH_VARIANTS (more
// contenders of this build with an environment of their own, as in bench:cpu). Needs wrk.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { nodeFor, runtimeArgs } from './node-binary.mjs';
import { buildPrevious, previousRef, removePrevious } from './previous-build.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { parseVariants } from './variants.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 120);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const MODES = (env.BENCH_MODES ?? '100%,10%').split(',');
const STEP = 10;
const against = process.argv.indexOf('--against');
const AGAINST = against === -1 ? undefined : process.argv[against + 1];

/**
 * Per scavenge of the main thread (the isolate that ran the most): bytes surviving, new space size.
 * V8 prints `--trace-gc-nvp` as `name=value` pairs up to Node 24 and as JSON (`GC: {"gc":"s", …}`) in
 * Node 26.
 */
function scavenges(log) {
  const byIsolate = new Map();
  for (const line of log.split('\n')) {
    const json = line.indexOf('GC: {');
    let field;
    if (json !== -1) {
      let record;
      try {
        record = JSON.parse(line.slice(json + 4));
      } catch {
        continue;
      }
      if (record.gc !== 's') continue;
      field = (name) => Number(record[name] ?? 0);
    } else if (line.includes('gc=s ')) {
      field = (name) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    } else continue;
    const isolate = line.slice(0, line.indexOf(']'));
    const list = byIsolate.get(isolate) ?? [];
    list.push({ survived: field('new_space_survived'), promoted: field('promoted'), capacity: field('new_space_capacity') });
    byIsolate.set(isolate, list);
  }
  return [...byIsolate.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

async function measure(nodeBin, contender, sinkPort) {
  const app = spawnReady(
    nodeBin,
    ['--trace-gc-nvp', ...runtimeArgs(nodeBin), ...contender.args, 'apps/hello.mjs'],
    {
      PATH: env.PATH,
      HOME: env.HOME,
      OTEL_SERVICE_NAME: 'bench',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
      ...contender.env,
    },
    BENCH,
  );
  let log = '';
  app.child.stdout.on('data', (d) => (log += d));
  const { port } = await app.ready;
  const wrk = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, `http://127.0.0.1:${port}/items/1`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let wrkOut = '';
  wrk.stdout.on('data', (d) => (wrkOut += d));
  const wrkDone = new Promise((resolve) => wrk.on('exit', resolve));
  const peaks = [];
  for (let t = STEP; t <= SECONDS; t += STEP) {
    await sleep(STEP * 1000);
    const status = readFileSync(`/proc/${app.child.pid}/status`, 'utf8');
    peaks.push(Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024));
  }
  await wrkDone;
  const exited = once(app.child, 'exit');
  app.child.kill();
  await exited;
  const list = scavenges(log);
  const steady = list.slice(Math.floor(list.length / 4));
  const average = (key) => steady.reduce((sum, s) => sum + s[key], 0) / Math.max(1, steady.length) / 1024;
  return {
    peaks,
    survivedKb: average('survived'),
    promotedKb: average('promoted'),
    newSpaceMb: Math.max(0, ...list.map((s) => s.capacity)) / 1048576,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1] ?? NaN),
  };
}

async function main() {
  const nodeBin = nodeFor(env.BENCH_NODES ?? '24');
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const ratio = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const builds = [{ label: 'Sightline', args: ['--import', 'sightline/register'] }];
  if (AGAINST !== undefined) {
    const previous = await buildPrevious(previousRef(AGAINST));
    builds.push({ label: previous.label, args: previous.args });
  }
  const modes = [
    { name: '100%', env: {} },
    { name: '10%', env: ratio },
    // 100% with the continuous profiler on: what it holds between two profile exports (30 s).
    { name: 'profiling', env: { SIGHTLINE_PROFILING: 'on' } },
    // Exported by the export worker instead of the app's own event loop (SIGHTLINE_EXPORT_THREAD), at
    // 100% and at 10%: the sink's http: endpoint otherwise gets the event loop.
    { name: 'worker', env: { SIGHTLINE_EXPORT_THREAD: 'worker' } },
    { name: '10% worker', env: { ...ratio, SIGHTLINE_EXPORT_THREAD: 'worker' } },
  ].filter((mode) => MODES.includes(mode.name));
  const contenders = [{ name: 'no tracing', args: [], env: {} }];
  for (const mode of modes)
    for (const build of builds) contenders.push({ name: `${build.label} ${mode.name}`, args: build.args, env: mode.env });
  for (const variant of parseVariants(env.BENCH_VARIANTS))
    contenders.push({ name: `${builds[0].label} ${variant.name}`, args: builds[0].args, env: variant.env });
  const sink = spawnReady(nodeBin, ['sink.mjs'], { PATH: env.PATH }, BENCH);
  const { otlp } = await sink.ready;
  const results = [];
  try {
    for (const contender of contenders) {
      console.error(`bench:memory: ${contender.name}, ${SECONDS} s at ${CONNECTIONS} connections`);
      results.push([contender.name, await measure(nodeBin, contender, otlp)]);
    }
  } finally {
    sink.child.kill('SIGKILL');
    if (AGAINST !== undefined) removePrevious();
  }
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const times = results[0][1].peaks.map((_, i) => `${(i + 1) * STEP} s`);
  console.log(`## Peak RSS (MB) over time: hello, Node ${version}, wrk at ${CONNECTIONS} connections\n`);
  console.log(`| | ${times.join(' | ')} | req/s | survived per scavenge | promoted per scavenge | largest new space |`);
  console.log(`|---|${times.map(() => '---:').join('|')}|---:|---:|---:|---:|`);
  const untraced = results[0][1].peaks;
  for (const [name, r] of results) {
    const cells = r.peaks.map((mb, i) => (name === 'no tracing' ? `${mb}` : `${mb} (+${mb - untraced[i]})`));
    console.log(
      `| ${name} | ${cells.join(' | ')} | ${Math.round(r.requestsPerSecond)} | ${r.survivedKb.toFixed(1)} KB | ${r.promotedKb.toFixed(1)} KB | ${r.newSpaceMb} MB |`,
    );
  }
}

await main();
