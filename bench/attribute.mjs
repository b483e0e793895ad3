// Where the time of a traced request goes (`npm run bench:attribute`): `hello` (or `realistic`) untraced,
// with Sightline at 100% and at 10% sampling, and at 10% with tail sampling on, each profiled with Linux
// perf (every thread of the app, with call stacks) while wrk drives it, and each sample charged to one
// cause. Prints microseconds of CPU per request by cause, Sightline's own functions by self time, and the
// functions (anyone's) whose self time grew most over untraced: Sightline's cost is not only in its own
// frames, but in what it makes Node, V8 and the libraries do (more promises, more allocation, slower
// paths), and that table is where it shows. A change to the hot path can then be judged by what it
// removes rather than by throughput ratios, which move by ±10% on a shared machine.
//
// Needs `perf` (Debian's linux-perf) allowed to profile this user's processes, `wrk` and `taskset`; the
// app runs on CPU 0, wrk and the sink on CPU 1, as in `npm run bench`.
//
// Settings (environment): BENCH_NODES=24 (one line: current, 22, 24 or 26)  BENCH_ROUNDS=2
// BENCH_DURATION=5 (s profiled per contender and round)  BENCH_WARMUP=3 (s)  BENCH_CONNECTIONS=64
// BENCH_SCENARIO=hello (or realistic: Postgres at DATABASE_URL, Redis at REDIS_URL, both best pinned to
// CPU 1 with `taskset -a -cp 1 <pid>`)
// BENCH_MODES=100%,10%,tail (which Sightline contenders run, `always_off` also; `profiling` adds 100%
// with the continuous profiler on, whose own thread is then a row of its own; untraced always runs)
// BENCH_VARIANTS='{"name": {"VARIABLE": "value"}}': more contenders of this build with an environment of
// their own (on top of 100% sampling), as in bench:cpu
// BENCH_KEEP=<dir>: keep each profile's `perf script` text there, for reading callers
// --against <commit>: also that commit's build, in the same modes (built beside this one, as bench:cpu does)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contendersFor } from './modes.mjs';
import { againstArgument, buildsUnderTest, removePrevious } from './previous-build.mjs';
import { nodeFor } from './node-binary.mjs';
import { requirePrograms, requireTwoCpus } from './require-tools.mjs';
import { datastoreEnv, scenarioFromEnv } from './scenario.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { threadGroup } from './thread-groups.mjs';
import { parseVariants } from './variants.mjs';
import { warmUpParts } from './wrk.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const DURATION = Number(env.BENCH_DURATION ?? 5);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const NODE_LINE = env.BENCH_NODES ?? '24';
const MODES = (env.BENCH_MODES ?? '100%,10%,tail').split(',');
const VARIANTS = parseVariants(env.BENCH_VARIANTS);
const FREQUENCY = 1999;
const SCENARIO = scenarioFromEnv(env, 'bench:attribute');
const SCENARIO_NAME = SCENARIO.name;
const DATASTORES = datastoreEnv(env);
const AGAINST = againstArgument();

requirePrograms('bench:attribute', ['perf', 'wrk', 'taskset']);
requireTwoCpus('bench:attribute', 'the app');

function start(cpu, command, args, extraEnv = {}) {
  return spawnReady('taskset', ['-c', String(cpu), command, ...args], { PATH: env.PATH, HOME: env.HOME, ...extraEnv }, BENCH);
}

function wrk(url, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => {
      const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
      if (Number.isNaN(requests)) reject(new Error(`wrk gave no result: ${out}`));
      else if (/Non-2xx or 3xx responses/.test(out)) reject(new Error(`${url} answered non-2xx responses`));
      else resolve({ requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]) });
    });
  });
}

// One sample's cause, from its call stack (innermost frame first). Order matters: a collection that
// interrupts Sightline's code is the collector's; kernel work under Sightline's frames (its own I/O) is
// Sightline's; the load generator's wake-up is the kernel delivering a response over loopback.
const GC = /Scaveng|Heap::|MarkCompact|MarkingVisitor|Evacuat|Sweep|MinorMS|IncrementalMarking|ConcurrentMarking|GlobalHandles/;
const SIGHTLINE = /sightline\/dist\//;
function causeOf(frames) {
  if (frames.some((f) => GC.test(f))) return 'garbage collection';
  if (frames.some((f) => SIGHTLINE.test(f))) return 'Sightline code';
  if (frames.some((f) => f.startsWith('JS:') && f.includes('node:diagnostics_channel'))) return 'diagnostics channels (Node)';
  if (frames.includes('sock_def_readable')) return 'kernel: waking the load generator';
  if (frames.some((f) => f === 'entry_SYSCALL_64_after_hwframe' || f === 'do_syscall_64')) return 'kernel: other system calls';
  return 'app, Fastify and Node';
}

/** Samples of one `perf script` output: thread, and frames innermost first, with paths shortened. */
function* samples(script) {
  let comm;
  let frames = [];
  for (const line of script.split('\n')) {
    if (line.trim() === '') {
      if (comm !== undefined) yield { comm, frames };
      comm = undefined;
      frames = [];
    } else if (!/^\s/.test(line)) {
      comm = line.trim().split(/\s+/)[0];
    } else {
      const m = /^\s*[0-9a-f]+ (.*?)(\+0x[0-9a-f]+)? \((.*)\)$/.exec(line);
      if (m) frames.push(m[1]);
    }
  }
  if (comm !== undefined) yield { comm, frames };
}

/** A leaf frame's name without the JIT tier marks and the path up to the package, so tiers and builds add up. */
function leafName(frame) {
  return frame
    .replace(/^JS:[~^+*]?'?/, '')
    .replace(/file:\/\/\S*?dist\//, 'sightline:')
    .replace(/file:\/\/\S*?node_modules\//, '');
}

async function profile(nodeBin, contender, sinkPort, stubUrl, dir) {
  // JIT code is named through V8's jitdump (--perf-prof) and `perf inject --jit`, which resolve each
  // sample by the code present at its time. The simpler --perf-basic-prof map names a code range by
  // whichever function once lived there: V8 reuses the space of code it replaced (Maglev code after
  // Turbofan's), and that misnamed about a microsecond per request here.
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  const v8Files = ['--perf-prof', `--perf-prof-path=${dir}`, '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`];
  const app = start(0, nodeBin, [...v8Files, ...contender.args, SCENARIO.app], {
    OTEL_SERVICE_NAME: 'bench',
    ...DATASTORES,
    STUB_URL: stubUrl,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_METRICS_EXPORTER: 'otlp',
    ...contender.env,
  });
  const { port } = await app.ready;
  const url = `http://127.0.0.1:${port}${SCENARIO.path}`;
  const recorded = join(dir, 'perf.data');
  const data = join(dir, 'perf.jit.data');
  try {
    for (const seconds of warmUpParts(WARMUP)) await wrk(url, seconds);
    const perf = spawn(
      'taskset',
      [
        '-c',
        '1',
        'perf',
        'record',
        '-k',
        'mono',
        '-g',
        '-F',
        String(FREQUENCY),
        '-p',
        String(app.child.pid),
        '-o',
        recorded,
        '--',
        'sleep',
        String(DURATION),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let perfErr = '';
    perf.stderr.on('data', (d) => (perfErr += d));
    const perfDone = new Promise((resolve) => perf.on('exit', resolve));
    const load = await wrk(url, DURATION);
    const code = await perfDone;
    if (code !== 0) throw new Error(`perf record failed (${code}): ${perfErr.trim()}`);
    execFileSync('perf', ['inject', '--jit', '-i', recorded, '-o', data], { stdio: 'ignore' });
    const script = execFileSync('perf', ['script', '-i', data], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (env.BENCH_KEEP) {
      mkdirSync(env.BENCH_KEEP, { recursive: true });
      writeFileSync(join(env.BENCH_KEEP, `${contender.name.replace(/[^\w%]+/g, '-')}-${Date.now()}.perf.txt`), script);
    }
    const byCause = new Map();
    const byThread = new Map();
    const sightlineSelf = new Map();
    const sightlineInclusive = new Map();
    const leaves = new Map();
    for (const { comm, frames } of samples(script)) {
      const thread = threadGroup(comm);
      byThread.set(thread, (byThread.get(thread) ?? 0) + 1);
      if (thread !== 'main thread') continue;
      const cause = causeOf(frames);
      byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
      if (cause === 'Sightline code') {
        // The Sightline frame nearest the leaf, with what it called: a wrapper's own call into the
        // library it wraps (pg's query under the pg wrapper) shows here, not in the self-time list.
        const nearest = leafName(frames.find((f) => SIGHTLINE.test(f)));
        sightlineInclusive.set(nearest, (sightlineInclusive.get(nearest) ?? 0) + 1);
      }
      const leaf = frames[0];
      if (leaf === undefined) continue;
      const name = leafName(leaf);
      leaves.set(name, (leaves.get(name) ?? 0) + 1);
      if (SIGHTLINE.test(leaf)) sightlineSelf.set(name, (sightlineSelf.get(name) ?? 0) + 1);
    }
    // Samples are FREQUENCY per second of CPU; the load ran as long as perf, so requests ≈ rps × DURATION.
    const perRequest = (count) => (count / FREQUENCY / (load.rps * DURATION)) * 1e6;
    const convert = (map) => new Map([...map].map(([k, v]) => [k, perRequest(v)]));
    return {
      rps: load.rps,
      byCause: convert(byCause),
      byThread: convert(byThread),
      sightlineSelf: convert(sightlineSelf),
      sightlineInclusive: convert(sightlineInclusive),
      leaves: convert(leaves),
    };
  } finally {
    app.child.kill('SIGKILL');
  }
}

const median = (values) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};

async function main() {
  const nodeBin = nodeFor(NODE_LINE);
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const contenders = contendersFor(await buildsUnderTest(AGAINST), MODES, VARIANTS);
  const sink = start(1, nodeBin, ['sink.mjs']);
  const { otlp } = await sink.ready;
  // realistic's outbound fetch goes to this stub, beside the load generator.
  const stub = start(1, nodeBin, ['apps/stub.mjs']);
  const stubUrl = `http://127.0.0.1:${(await stub.ready).port}/quote`;
  const dir = mkdtempSync(join(os.tmpdir(), 'sightline-attribute-'));
  const runs = new Map(contenders.map((c) => [c.name, []]));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const contender of contenders) {
        console.error(`bench:attribute: round ${round}/${ROUNDS}: ${contender.name}`);
        runs.get(contender.name).push(await profile(nodeBin, contender, otlp, stubUrl, dir));
      }
    }
  } finally {
    sink.child.kill('SIGKILL');
    stub.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (AGAINST !== undefined) removePrevious();
  }

  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const medianOf = (name, pick, key) => median(runs.get(name).map((r) => pick(r).get(key) ?? 0));
  const causes = [...new Set([...runs.values()].flatMap((rs) => rs.flatMap((r) => [...r.byCause.keys()])))];
  const threads = [...new Set([...runs.values()].flatMap((rs) => rs.flatMap((r) => [...r.byThread.keys()])))];
  const names = contenders.map((c) => c.name);
  const row = (label, values) => `| ${label} | ${values.map((v) => (Number.isNaN(v) ? 'n/a' : v.toFixed(2))).join(' | ')} |`;
  console.log(
    `## CPU per request by cause: ${SCENARIO_NAME}, Node ${version}, ${ROUNDS} rounds of ${DURATION} s, ${CONNECTIONS} connections\n`,
  );
  console.log(`µs of CPU per request, median of the rounds; req/s for reference.\n`);
  console.log(`| cause | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---:').join('|')}|`);
  console.log(
    row(
      'req/s (thousands)',
      names.map((n) => median(runs.get(n).map((r) => r.rps / 1000))),
    ),
  );
  for (const thread of threads)
    console.log(
      row(
        `**${thread}**`,
        names.map((n) => medianOf(n, (r) => r.byThread, thread)),
      ),
    );
  for (const cause of causes)
    console.log(
      row(
        `main thread: ${cause}`,
        names.map((n) => medianOf(n, (r) => r.byCause, cause)),
      ),
    );
  for (const name of names.slice(1)) {
    const self = new Map();
    for (const r of runs.get(name)) for (const [k, v] of r.sightlineSelf) self.set(k, (self.get(k) ?? 0) + v / ROUNDS);
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15);
    if (top.length === 0) continue;
    console.log(
      `\n${name}, Sightline's functions by self time (µs per request, mean of the rounds; callees outside Sightline not included):\n`,
    );
    for (const [fn, us] of top) console.log(`- ${us.toFixed(3)} ${fn}`);
    const inclusive = new Map();
    for (const r of runs.get(name)) for (const [k, v] of r.sightlineInclusive) inclusive.set(k, (inclusive.get(k) ?? 0) + v / ROUNDS);
    console.log(
      `\n${name}, "Sightline code" by the Sightline frame nearest the leaf, with the callees outside Sightline it ran (µs per request, mean of the rounds):\n`,
    );
    for (const [fn, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`- ${us.toFixed(3)} ${fn}`);
  }
  // Anyone's functions, by how much more self time they took per request than untraced.
  const meanLeaves = (name) => {
    const mean = new Map();
    for (const r of runs.get(name)) for (const [k, v] of r.leaves) mean.set(k, (mean.get(k) ?? 0) + v / ROUNDS);
    return mean;
  };
  const untraced = meanLeaves(names[0]);
  for (const name of names.slice(1)) {
    const grown = [...meanLeaves(name)].map(([fn, us]) => [fn, us - (untraced.get(fn) ?? 0)]);
    const top = grown.sort((a, b) => b[1] - a[1]).slice(0, 20);
    console.log(`\n${name}, the functions whose self time grew most over no tracing (µs per request, mean of the rounds):\n`);
    for (const [fn, us] of top) console.log(`- ${us.toFixed(3)} ${fn}`);
  }
}

await main();
