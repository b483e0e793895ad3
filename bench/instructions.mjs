// Instructions per request (`npm run bench:instructions [-- --against <commit>]`): `hello` (or
// `realistic`) untraced, with
// Sightline at 100% and at 10% sampling, and at 10% with tail sampling, each run under Valgrind's
// callgrind; after a warm-up, the counters are zeroed, a fixed number of requests is sent, and the main
// thread's instructions are divided by that number. Instruction counts do not move with the machine's
// load, so two builds can be compared to a few hundred instructions on a shared machine where a
// throughput ratio moves by ±10%. They are not time: a megamorphic lookup or a cache miss costs more
// than its count says, so a change is confirmed with `npm run bench:attribute` or `--quick`.
//
// JIT code is named from V8's --perf-basic-prof map (the last function mapped at an address wins; the
// counters are zeroed after the warm-up, so the code measured is mostly the code mapped last).
// Periodic work is charged per request too, and under Valgrind an app serves about 50 times fewer
// requests per second, so it weighs 50 times more than it does at full speed: the metric export interval
// is therefore set to an hour here (a collection costs ~3 million instructions), and what remains of
// periodic work (the event loop delay monitor, the tail sampler's sweep) shows in "native, other".
//
// Needs Valgrind (Debian's valgrind). Settings (environment): BENCH_NODES=24 (current, 22, 24 or 26)
// BENCH_REQUESTS=6000 (measured)  BENCH_WARM_REQUESTS=20000  BENCH_CONNECTIONS=8 (realistic: 1500, 3000, 64)
// BENCH_MODES=100%,10%,tail (which Sightline modes to run, `profiling` and `always_off` also; untraced always runs)
// BENCH_VARIANTS='{"name": {"VARIABLE": "value"}}' (more contenders of this build with an environment of
// their own, on top of 100% sampling, as in bench:cpu)
// BENCH_DIFF=1 (also list every function by how much more it ran than untraced)
// BENCH_KEEP=<dir> (copy each run's main-thread dump, V8's perf map and the app's stdout there)
// BENCH_NODE_ARGS='--trace-gc-nvp' (more Node flags for every contender, such as a GC trace to keep)
// BENCH_SCENARIO=hello (or realistic: Postgres at DATABASE_URL, Redis at REDIS_URL; fewer requests, as
// each costs about ten times hello's)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { contendersFor } from './modes.mjs';
import { againstArgument, buildsUnderTest, removePrevious } from './previous-build.mjs';
import { nodeFor } from './node-binary.mjs';
import { datastoreEnv, scenarioFromEnv } from './scenario.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { parseVariants } from './variants.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const SCENARIO = scenarioFromEnv(env, 'bench:instructions');
const SCENARIO_NAME = SCENARIO.name;
const REALISTIC = SCENARIO_NAME === 'realistic';
const REQUESTS = Number(env.BENCH_REQUESTS ?? (REALISTIC ? 1500 : 6000));
// 20,000 for hello: after 8,000, V8 under Valgrind had not always optimised Sightline's hot functions
// in every contender (an always_off run with no TurboFan code for startSpan in its perf map, where the
// other contender had it), and a comparison of two builds read +1,116 instructions where, with every
// contender's code optimised, it read +69.
const WARM = Number(env.BENCH_WARM_REQUESTS ?? (REALISTIC ? 3000 : 20000));
// realistic at the concurrency `npm run bench` drives it with: its requests wait on 8 pooled Postgres
// connections and one Redis connection, so how many are in flight decides how long each request's
// objects live, and with them the collector's work. 100% over untraced: +194,000 instructions per
// request with 64 connections, +85,000 with 8 (garbage collection +43,000 against -12,000), where
// bench:cpu's main thread read +40%. hello answers each request in one turn of the event loop: 8.
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? (REALISTIC ? 64 : 8));
const NODE_LINE = env.BENCH_NODES ?? '24';
const MODES = (env.BENCH_MODES ?? '100%,10%,tail').split(',');
const NODE_ARGS = (env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const DATASTORES = datastoreEnv(env);
const AGAINST = againstArgument();

for (const tool of ['valgrind', 'callgrind_control']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`bench:instructions needs ${tool} (Debian's valgrind), which is not installed`);
  }
}

/** Sends `count` requests over keep-alive connections and resolves when all have been answered. */
async function load(port, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      sent++;
      http
        .get({ host: '127.0.0.1', port, path: `${SCENARIO.prefix}${sent}`, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  const connection = async () => {
    while (sent < count) await one();
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, connection));
  agent.destroy();
}

/** Self instructions by function, from a callgrind dump written with --dump-instr=yes. */
function selfCosts(dumpFile, perfMap) {
  const ranges = [];
  if (existsSync(perfMap)) {
    const byStart = new Map();
    for (const line of readFileSync(perfMap, 'utf8').split('\n')) {
      const [start, size, ...name] = line.split(' ');
      if (name.length > 0) byStart.set(parseInt(start, 16), [parseInt(start, 16) + parseInt(size, 16), name.join(' ')]);
    }
    for (const [start, [end, name]] of byStart) ranges.push([start, end, name]);
    ranges.sort((a, b) => a[0] - b[0]);
  }
  const jitName = (address) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && address < ranges[hi][1] ? ranges[hi][2] : undefined;
  };
  // Callgrind compresses names: "(12) name" defines id 12, "(12)" refers to it.
  const names = new Map();
  const nameOf = (value) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(value);
    if (m === null) return value;
    if (m[2] !== undefined) names.set(m[1], m[2]);
    return names.get(m[1]) ?? value;
  };
  const costs = new Map();
  let fn = '';
  let unnamed = false;
  let last = 0;
  let call = false;
  for (const line of readFileSync(dumpFile, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      fn = nameOf(line.slice(3));
      unnamed = fn.startsWith('0x') || fn.includes('???');
      continue;
    }
    if (line.startsWith('cfn=')) {
      nameOf(line.slice(4));
      continue;
    }
    if (line.startsWith('calls=')) {
      call = true;
      continue;
    }
    const c = line.charCodeAt(0);
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42)) continue;
    // "<address> <line> <instructions>": the address absolute, relative (+n, -n) or the same (*).
    const [a, , count] = line.split(' ');
    if (a === '*') {
      // same address
    } else if (a[0] === '+') last += Number(a.slice(1));
    else if (a[0] === '-') last -= Number(a.slice(1));
    else last = Number(a);
    if (call) {
      call = false; // the inclusive cost of a call, not this function's own
      continue;
    }
    const name = unnamed ? (jitName(last) ?? fn) : fn;
    costs.set(name, (costs.get(name) ?? 0) + Number(count ?? 0));
  }
  return costs;
}

function category(name) {
  if (name.includes('sightline/dist/')) return 'Sightline (JavaScript)';
  if (name.startsWith('JS:') && name.includes('node_modules')) return 'app and Fastify (JavaScript)';
  if (name.startsWith('JS:') || name.startsWith('RegExp')) return 'Node (JavaScript)';
  if (name.startsWith('Builtins_') || name.startsWith('Builtin:')) return 'V8 builtins (property access, calls, strings…)';
  if (/Scaveng|Heap::|Marking|MarkCompact|IterateObjectCache|Sweeper|Evacuat|RememberedSet|SlotSet/.test(name)) return 'garbage collection';
  return 'native, other (Node, V8 runtime, libc, periodic work)';
}

async function measure(nodeBin, contender, sinkPort, stubUrl, dir) {
  const out = join(dir, contender.name.replace(/\W+/g, '-'));
  const app = spawnReady(
    'valgrind',
    [
      '--tool=callgrind',
      '--separate-threads=yes',
      '--smc-check=all-non-file',
      '--dump-instr=yes',
      `--callgrind-out-file=${out}.%p`,
      nodeBin,
      '--perf-basic-prof',
      // --perf-basic-prof also opens V8's log, in the working directory unless told where.
      '--no-logfile-per-isolate',
      `--logfile=${out}.v8.log`,
      ...NODE_ARGS,
      ...contender.args,
      SCENARIO.app,
    ],
    {
      PATH: env.PATH,
      HOME: env.HOME,
      OTEL_SERVICE_NAME: 'bench',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
      ...DATASTORES,
      STUB_URL: stubUrl,
      ...contender.env,
    },
    BENCH,
    // Node starts ~50 times slower under Valgrind, and slower still on a busy machine.
    180_000,
  );
  const pid = app.child.pid;
  let stdout = '';
  app.child.stdout.on('data', (d) => (stdout += d));
  try {
    const { port } = await app.ready;
    // The first connections close early in the warm-up, for the reason warmUpParts() in wrk.mjs gives:
    // closed only at its end, they left Node's resOnFinish and others in V8's mid tier while counted.
    const first = Math.min(2000, Math.floor(WARM / 4));
    await load(port, first);
    await load(port, WARM - first);
    execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
    await load(port, REQUESTS);
    execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
    // The dump of the main thread (thread 1) after the first explicit dump.
    const dump = `${out}.${pid}.1-01`;
    for (let i = 0; i < 200 && !existsSync(dump); i++) await sleep(100);
    await sleep(500);
    const costs = selfCosts(dump, `/tmp/perf-${pid}.map`);
    if (env.BENCH_KEEP !== undefined) {
      // The raw dump and V8's map, for reading callers with callgrind's own tools.
      mkdirSync(env.BENCH_KEEP, { recursive: true });
      execFileSync('cp', [dump, `/tmp/perf-${pid}.map`, env.BENCH_KEEP]);
      // What the app printed (V8's GC trace, with BENCH_NODE_ARGS=--trace-gc-nvp).
      writeFileSync(join(env.BENCH_KEEP, `${contender.name.replace(/\W+/g, '-')}.stdout`), stdout);
      console.error(`bench:instructions: kept ${dump} and /tmp/perf-${pid}.map in ${env.BENCH_KEEP}`);
    }
    const perRequest = new Map([...costs].map(([k, v]) => [k, v / REQUESTS]));
    return perRequest;
  } finally {
    app.child.kill('SIGKILL');
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
}

function sumBy(costs, pick) {
  const out = new Map();
  for (const [name, v] of costs) out.set(pick(name), (out.get(pick(name)) ?? 0) + v);
  return out;
}

async function main() {
  const nodeBin = nodeFor(NODE_LINE);
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const builds = await buildsUnderTest(AGAINST);
  const contenders = contendersFor(builds, MODES, parseVariants(env.BENCH_VARIANTS), {
    // Under Valgrind the app runs ~50 times slower and the profiler samples by wall time, so each
    // request here carries ~50 times its share of sampling; per-request work (labels) counts as it is.
    // No profile is collected in the measured window: a collection restarts V8's profiler, which
    // then logs every compiled function again (~45 million instructions, 20 ms at full speed, every
    // 30 s), and that would be charged to the few thousand requests measured here.
    profiling: { SIGHTLINE_PROFILING_EXPORT_INTERVAL: '600000' },
  });

  const sink = spawnReady(nodeBin, ['sink.mjs'], { PATH: env.PATH }, BENCH);
  const { otlp } = await sink.ready;
  // realistic's outbound fetch goes to this stub.
  const stub = spawnReady(nodeBin, ['apps/stub.mjs'], { PATH: env.PATH }, BENCH);
  const stubUrl = `http://127.0.0.1:${(await stub.ready).port}/quote`;
  const dir = mkdtempSync(join(os.tmpdir(), 'sightline-instructions-'));
  const results = new Map();
  try {
    for (const contender of contenders) {
      console.error(`bench:instructions: ${contender.name}`);
      results.set(contender.name, await measure(nodeBin, contender, otlp, stubUrl, dir));
    }
  } finally {
    sink.child.kill('SIGKILL');
    stub.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (AGAINST !== undefined) removePrevious();
  }

  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const names = [...results.keys()];
  const format = (v) => Math.round(v).toLocaleString('en');
  const total = (costs) => [...costs.values()].reduce((a, b) => a + b, 0);
  console.log(
    `## Main-thread instructions per request: ${SCENARIO_NAME}, Node ${version}, ${format(REQUESTS)} requests after ${format(WARM)}, ${CONNECTIONS} connections\n`,
  );
  console.log(`| | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---:').join('|')}|`);
  console.log(`| **total** | ${names.map((n) => format(total(results.get(n)))).join(' | ')} |`);
  const byCategory = new Map(names.map((n) => [n, sumBy(results.get(n), category)]));
  const categories = [...new Set([...byCategory.values()].flatMap((m) => [...m.keys()]))].sort();
  for (const c of categories) console.log(`| ${c} | ${names.map((n) => format(byCategory.get(n).get(c) ?? 0)).join(' | ')} |`);
  for (const name of names.slice(1)) {
    const own = new Map();
    for (const [k, v] of results.get(name)) {
      if (category(k) !== 'Sightline (JavaScript)') continue;
      const fn = k.replace(/^JS:[~^+*]?'?/, '').replace(/file:\/\/\S*?dist\//, '');
      own.set(fn, (own.get(fn) ?? 0) + v);
    }
    const top = [...own].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(`\n${name}: Sightline's functions by own instructions per request (both JIT tiers together):\n`);
    for (const [fn, v] of top) console.log(`- ${format(v)} ${fn}`);
  }
  if (env.BENCH_DIFF === '1') {
    // Every function, whatever its kind, by how much more it ran than untraced: where Sightline's cost
    // lands in Node's code and V8's builtins, which the lists above do not name.
    const untraced = results.get(names[0]);
    for (const name of names.slice(1)) {
      const costs = results.get(name);
      const diff = [];
      for (const fn of new Set([...costs.keys(), ...untraced.keys()])) {
        if (category(fn) === 'garbage collection') continue;
        diff.push([fn, (costs.get(fn) ?? 0) - (untraced.get(fn) ?? 0)]);
      }
      diff.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
      console.log(`\n${name}: functions that differ most from no tracing (instructions per request, GC left out):\n`);
      for (const [fn, v] of diff.slice(0, 40))
        console.log(`- ${v > 0 ? '+' : ''}${format(v)} ${fn.replace(/file:\/\/\S*?dist\//, '').slice(0, 140)}`);
    }
  }
}

await main();
