// Where a contender's time (or allocation) goes per request, by V8's own profilers
// (`npm run bench:profile`): each contender runs as one process under wrk, and after the warm-up its
// CPU profile (100 µs interval) or its sampling heap profile (every allocation, collected ones
// included) is taken for the measured seconds only, through node:inspector (profile-hook.mjs). It
// prints, per request: Sightline's functions by self time (or bytes), everyone's time by package,
// and the functions that grew most over the reference contender.
//
// Why beside bench:attribute: Linux perf cannot name V8's optimised code on Node 26 (`perf inject
// --jit` leaves it `[unknown]`), where V8's profiler can; and a sampling profiler's self time per
// function is what a hot-path change removes. What it cannot see: time in the kernel is charged to
// the native function that made the system call (writeUtf8String, writev) as wall time, whether or
// not the CPU was busy, and V8's helper threads not at all; bench:cpu measures those. One process per
// contender: read differences of a few tenths of a microsecond in one function, not in the totals.
//
// Settings (environment): BENCH_NODES=24 (one line)  BENCH_SCENARIO=hello (or realistic, hello-log)
// BENCH_MODES=disabled,off,10%,100% (Sightline contenders: loaded but OTEL_SDK_DISABLED, always_off,
// 10% head sampling, 100%; untraced always runs and is the reference)  BENCH_KIND=cpu (or heap)
// BENCH_WARMUP=10  BENCH_DURATION=8 (s profiled)  BENCH_CONNECTIONS=64  BENCH_TOP=25 (rows per list)
// BENCH_KEEP=<dir> (keeps each .cpuprofile / .heapprofile, for Chrome's DevTools or speedscope).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFor, runtimeArgs } from './node-binary.mjs';
import { requirePrograms, requireTwoCpus } from './require-tools.mjs';
import { datastoreEnv, scenarioFromEnv } from './scenario.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { warmUpParts, wrkRequests } from './wrk.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const NODE_LINE = env.BENCH_NODES ?? '24';
const SCENARIO = scenarioFromEnv(env, 'bench:profile');
const KIND = env.BENCH_KIND ?? 'cpu';
const WARMUP = Number(env.BENCH_WARMUP ?? 10);
const DURATION = Number(env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const TOP = Number(env.BENCH_TOP ?? 25);
const MODES = (env.BENCH_MODES ?? 'disabled,off,10%,100%').split(',');
const ALL_MODES = {
  disabled: { OTEL_SDK_DISABLED: 'true' },
  off: { OTEL_TRACES_SAMPLER: 'always_off' },
  '10%': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  '100%': {},
};
if (KIND !== 'cpu' && KIND !== 'heap') throw new Error(`BENCH_KIND=${KIND}: bench:profile takes cpu or heap`);
for (const mode of MODES)
  if (!(mode in ALL_MODES)) throw new Error(`BENCH_MODES: "${mode}" is not one of ${Object.keys(ALL_MODES).join(', ')}`);

const wrk = (port, seconds) => wrkRequests(port, SCENARIO.path, seconds, CONNECTIONS);

const SIGHTLINE = /sightline\/dist\//;
const frameName = (callFrame) =>
  `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/.*node_modules\//, '').replace(/.*sightline\/dist\//, 'sightline:')}:${callFrame.lineNumber + 1}`;

/** Which package a frame's code belongs to: sightline, a dependency's name, node:<module>, or V8's own entries. */
function packageOf(callFrame) {
  const url = callFrame.url;
  if (SIGHTLINE.test(url)) return 'sightline';
  if (url.includes('node_modules/')) return url.replace(/.*node_modules\//, '').split('/')[0];
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  if (url === '') return callFrame.functionName.startsWith('(') ? callFrame.functionName : '(native)';
  return url.replace(/.*\//, '');
}

/**
 * Self cost per request by function and by package, and what ran under a Sightline frame: µs of the
 * CPU profile's samples (each weighs the profile's duration over its sample count: a sample's own
 * delta is distorted when the process was descheduled), or bytes of the heap profile.
 */
function summarize(profile, requests) {
  const byFunction = new Map();
  const byPackage = new Map();
  const sightline = new Map();
  let total = 0;
  let underSightline = 0;
  const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);
  const charge = (callFrame, value, inSightline) => {
    total += value;
    add(byFunction, frameName(callFrame), value);
    add(byPackage, packageOf(callFrame), value);
    if (SIGHTLINE.test(callFrame.url)) add(sightline, frameName(callFrame), value);
    if (inSightline) underSightline += value;
  };
  if (KIND === 'heap') {
    const walk = (node, inSightline) => {
      const here = inSightline || SIGHTLINE.test(node.callFrame.url);
      if (node.selfSize > 0) charge(node.callFrame, node.selfSize / requests, here);
      for (const child of node.children ?? []) walk(child, here);
    };
    walk(profile.head, false);
  } else {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const inSightline = new Map();
    const under = (id) => {
      let known = inSightline.get(id);
      if (known === undefined) {
        const node = nodes.get(id);
        known = SIGHTLINE.test(node.callFrame.url) || (parent.has(id) && under(parent.get(id)));
        inSightline.set(id, known);
      }
      return known;
    };
    const weight = (profile.endTime - profile.startTime) / profile.samples.length / requests;
    for (const id of profile.samples) charge(nodes.get(id).callFrame, weight, under(id));
  }
  return { byFunction, byPackage, sightline, total, underSightline };
}

const unit = KIND === 'heap' ? 'bytes' : 'µs';
const fmt = (value) => (KIND === 'heap' ? value.toFixed(0) : value.toFixed(2));

function printTop(title, map, reference) {
  console.log(`\n${title}\n`);
  console.log(reference ? `| ${unit} per request | over reference | |\n|---:|---:|---|` : `| ${unit} per request | |\n|---:|---|`);
  const rows = [...map].map(([key, value]) => [key, value, value - (reference?.get(key) ?? 0)]);
  rows.sort((a, b) => (reference ? b[2] - a[2] : b[1] - a[1]));
  if (rows.length === 0) console.log(reference ? '| | | (none) |' : '| | (none) |');
  for (const [key, value, grown] of rows.slice(0, TOP))
    console.log(reference ? `| ${fmt(value)} | ${grown >= 0 ? '+' : ''}${fmt(grown)} | \`${key}\` |` : `| ${fmt(value)} | \`${key}\` |`);
}

async function main() {
  requirePrograms('bench:profile', ['wrk', 'taskset']);
  requireTwoCpus('bench:profile', 'the app');
  const nodeBin = nodeFor(NODE_LINE);
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const dir = env.BENCH_KEEP ?? mkdtempSync(join(tmpdir(), 'sightline-profile-'));
  mkdirSync(dir, { recursive: true });
  const frame = runtimeArgs(nodeBin);
  const sink = spawnReady('taskset', ['-c', '1', nodeBin, 'sink.mjs'], { PATH: env.PATH, HOME: env.HOME }, BENCH);
  const stub = spawnReady('taskset', ['-c', '1', nodeBin, 'apps/stub.mjs'], { PATH: env.PATH, HOME: env.HOME }, BENCH);
  const contenders = [{ name: 'no tracing', args: [], env: {} }];
  for (const mode of MODES)
    contenders.push({
      name: `Sightline ${mode === 'disabled' ? 'loaded, OTEL_SDK_DISABLED' : mode === 'off' ? 'always_off' : mode}`,
      args: ['--import', 'sightline/register'],
      env: ALL_MODES[mode],
    });
  const results = [];
  try {
    const { otlp } = await sink.ready;
    const stubUrl = `http://127.0.0.1:${(await stub.ready).port}/quote`;
    for (const [i, contender] of contenders.entries()) {
      const out = join(dir, `${i}-${contender.name.replace(/\W+/g, '-')}.${KIND === 'heap' ? 'heapprofile' : 'cpuprofile'}`);
      const app = spawnReady(
        'taskset',
        ['-c', '0', nodeBin, ...frame, '--import', join(BENCH, 'profile-hook.mjs'), ...contender.args, SCENARIO.app],
        {
          PATH: env.PATH,
          HOME: env.HOME,
          OTEL_SERVICE_NAME: 'bench',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}`,
          OTEL_METRICS_EXPORTER: 'otlp',
          ...datastoreEnv(env),
          STUB_URL: stubUrl,
          PROFILE_KIND: KIND,
          PROFILE_OUT: out,
          ...contender.env,
        },
        BENCH,
      );
      try {
        const { port } = await app.ready;
        console.error(`bench:profile: ${contender.name}: ${WARMUP} s of load, then ${DURATION} s profiled`);
        for (const seconds of warmUpParts(WARMUP)) wrk(port, seconds);
        app.child.kill('SIGUSR2');
        await sleep(200);
        const requests = wrk(port, DURATION);
        const written = new Promise((resolve) => app.child.stdout.on('data', (d) => String(d).includes('"written"') && resolve()));
        app.child.kill('SIGUSR2');
        await Promise.race([written, sleep(30_000)]);
        if (env.BENCH_KEEP !== undefined) writeFileSync(`${out}.requests`, `${requests}\n`);
        results.push({ contender, requests, ...summarize(JSON.parse(readFileSync(out, 'utf8')), requests) });
      } finally {
        app.child.kill('SIGKILL');
      }
    }
  } finally {
    sink.child.kill('SIGKILL');
    stub.child.kill('SIGKILL');
    if (env.BENCH_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
  }

  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  console.log(
    `## ${KIND === 'heap' ? 'Allocation' : 'CPU profile'} per request: ${SCENARIO.name}, ${version}, ${CONNECTIONS} connections, ${DURATION} s after ${WARMUP} s of load, one process each\n`,
  );
  console.log(
    `| | requests | ${unit} per request, all | by Sightline's own functions | under a Sightline frame |\n|---|---:|---:|---:|---:|`,
  );
  for (const r of results) {
    const own = [...r.sightline.values()].reduce((a, b) => a + b, 0);
    console.log(`| ${r.contender.name} | ${r.requests} | ${fmt(r.total)} | ${fmt(own)} | ${fmt(r.underSightline)} |`);
  }
  const reference = results[0];
  for (const r of results.slice(1)) {
    printTop(`### ${r.contender.name}: Sightline's functions by self ${KIND === 'heap' ? 'allocation' : 'time'}`, r.sightline);
    printTop(`### ${r.contender.name}: packages, over ${reference.contender.name}`, r.byPackage, reference.byPackage);
    printTop(`### ${r.contender.name}: functions that grew most over ${reference.contender.name}`, r.byFunction, reference.byFunction);
  }
  if (env.BENCH_KEEP !== undefined) console.log(`\nProfiles kept in ${dir}.`);
}

await main();
