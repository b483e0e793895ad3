// CPU time per request, side by side (`npm run bench:cpu [-- --against <commit>]`): `hello` (or
// `realistic`, BENCH_SCENARIO) untraced
// and with Sightline in each mode, each contender as several processes at once, all driven in turn
// by wrk for one second at a time, round after round. It reads each thread's CPU time from
// /proc/<pid>/task/*/stat around every second of load and divides by the requests served.
//
// Why this shape: on this project's shared machine, two processes of the same build have differed by up
// to 10% in CPU per request (an A/A run of two single processes read 0.87 and 0.91), and the machine's
// speed drifts by 2x over tens of seconds. A throughput ratio from one process per contender measures
// mostly those. Several processes per contender average the first away, and short turns, taken in the
// same round for every contender, keep the drift out of each round's ratio.
//
// Not too many processes, though: each waits idle while the others take their turns, and V8 shrinks an
// idle heap, so a traced app (which allocates more) starts each turn with more collections to do. With
// 20 processes of one second each, 100% read 0.53 of untraced with V8's helper threads at 3.3 µs per
// request; with 2 processes, 0.70-0.72 and 0.3 µs. Hence 2 copies by default.
//
// CPU time is what a saturated app spends per request, the inverse of its throughput on one core; it
// counts the export worker and V8's helper threads, which a throughput ratio on a two-core machine
// would hide on the idle core.
//
// Needs `wrk` and `taskset`: the apps run on CPU 0, wrk and the sink on CPU 1.
// Settings (environment): BENCH_NODES=24 (one line: current, 22, 24 or 26)  BENCH_COPIES=2 (processes
// per contender)  BENCH_ROUNDS=8  BENCH_SECONDS=2 (per process and round)  BENCH_WARMUP=10 (s per process; see run.mjs on why)
// BENCH_CONNECTIONS=64  BENCH_ASYNC_CONTEXT_FRAME=off (Node 22 without --experimental-async-context-frame, which every contender gets there by default)
// BENCH_MODES=100%,10%,tail,profiling (which Sightline contenders run, always_off also possible; untraced always runs)
// BENCH_SCENARIO=hello (or realistic: Postgres at DATABASE_URL, Redis at REDIS_URL)
// BENCH_VARIANTS='{"name": {"VARIABLE": "value", ...}, ...}': more contenders of this build, each with
// its own environment (on top of 100% sampling), to weigh a part by switching it off: for example
// '{"10%, no pg": {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1",
// "OTEL_NODE_DISABLED_INSTRUMENTATIONS": "pg"}}'.
// --against <commit>: also that commit's build, in the same modes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contendersFor } from './modes.mjs';
import { againstArgument, buildsUnderTest, removePrevious } from './previous-build.mjs';
import { nodeFor, runtimeArgs } from './node-binary.mjs';
import { cpuByGroup } from './proc-cpu.mjs';
import { THREAD_GROUPS as GROUPS } from './thread-groups.mjs';
import { requirePrograms, requireTwoCpus } from './require-tools.mjs';
import { datastoreEnv, scenarioFromEnv } from './scenario.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { warmUpParts, wrkRequests } from './wrk.mjs';
import { parseVariants } from './variants.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const COPIES = Number(env.BENCH_COPIES ?? 2);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(env.BENCH_SECONDS ?? 2);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const NODE_LINE = env.BENCH_NODES ?? '24';
const MODES = (env.BENCH_MODES ?? '100%,10%,tail,profiling').split(',');
const SCENARIO = scenarioFromEnv(env, 'bench:cpu');
const SCENARIO_NAME = SCENARIO.name;
const DATASTORES = datastoreEnv(env);
const AGAINST = againstArgument();
const WARMUP_SECONDS = Number(env.BENCH_WARMUP ?? 10);
const VARIANTS = parseVariants(env.BENCH_VARIANTS);

requirePrograms('bench:cpu', ['wrk', 'taskset']);
requireTwoCpus('bench:cpu', 'the apps');

const wrk = (port, seconds) => wrkRequests(port, SCENARIO.path, seconds, CONNECTIONS);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))];

async function main() {
  const nodeBin = nodeFor(NODE_LINE);
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const builds = await buildsUnderTest(AGAINST);
  const contenders = contendersFor(builds, MODES, VARIANTS);
  const frame = runtimeArgs(nodeBin);
  const sink = spawnReady('taskset', ['-c', '1', nodeBin, 'sink.mjs'], { PATH: env.PATH, HOME: env.HOME }, BENCH);
  // realistic's outbound fetch goes to this stub; Postgres and Redis are the machine's own, and as in
  // `npm run bench` they should run on CPU 1 (`taskset -a -cp 1 <pid>`), or they blur the app's CPU 0.
  const stub = spawnReady('taskset', ['-c', '1', nodeBin, 'apps/stub.mjs'], { PATH: env.PATH, HOME: env.HOME }, BENCH);
  const processes = [];
  try {
    const { otlp } = await sink.ready;
    const stubUrl = `http://127.0.0.1:${(await stub.ready).port}/quote`;
    // Copies interleaved (a, b, c, a, b, c…), so no contender always runs first or last in a round.
    for (let copy = 0; copy < COPIES; copy++) {
      for (const contender of contenders) {
        const app = spawnReady(
          'taskset',
          ['-c', '0', nodeBin, ...frame, ...contender.args, SCENARIO.app],
          {
            PATH: env.PATH,
            HOME: env.HOME,
            OTEL_SERVICE_NAME: 'bench',
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}`,
            OTEL_METRICS_EXPORTER: 'otlp',
            ...DATASTORES,
            STUB_URL: stubUrl,
            ...contender.env,
          },
          BENCH,
        );
        processes.push({ contender, app, port: (await app.ready).port, requests: 0, cpu: {} });
      }
    }
    console.error(`bench:cpu: ${processes.length} processes (${COPIES} per contender) started; warming up`);
    for (const p of processes) for (const seconds of warmUpParts(WARMUP_SECONDS)) wrk(p.port, seconds);
    const perRound = new Map(contenders.map((c) => [c, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`bench:cpu: round ${round}/${ROUNDS}`);
      const totals = new Map(contenders.map((c) => [c, { requests: 0, micros: 0 }]));
      for (const p of processes) {
        const before = cpuByGroup(p.app.child.pid);
        const served = wrk(p.port, SECONDS);
        const after = cpuByGroup(p.app.child.pid);
        p.requests += served;
        totals.get(p.contender).requests += served;
        for (const group of Object.keys(after)) {
          const used = after[group] - (before[group] ?? 0);
          p.cpu[group] = (p.cpu[group] ?? 0) + used;
          totals.get(p.contender).micros += used;
        }
      }
      for (const [contender, total] of totals) perRound.get(contender).push(total.micros / total.requests);
    }
    report(contenders, processes, perRound, nodeBin, frame);
  } finally {
    for (const p of processes) p.app.child.kill('SIGKILL');
    sink.child.kill('SIGKILL');
    stub.child.kill('SIGKILL');
    if (AGAINST !== undefined) removePrevious();
  }
}

function report(contenders, processes, perRound, nodeBin, frame) {
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const rows = contenders.map((contender) => {
    const mine = processes.filter((p) => p.contender === contender);
    const requests = mine.reduce((sum, p) => sum + p.requests, 0);
    const byGroup = Object.fromEntries(GROUPS.map((g) => [g, mine.reduce((sum, p) => sum + (p.cpu[g] ?? 0), 0) / requests]));
    const total = Object.values(byGroup).reduce((a, b) => a + b, 0);
    const perProcess = mine.map((p) => Object.values(p.cpu).reduce((a, b) => a + b, 0) / p.requests);
    return { contender, byGroup, total, perProcess };
  });
  // A contender's ratio is taken against the one it is judged by: profiling against the same build at
  // 100% (issue 18's target), everything else against no tracing.
  const referenceOf = (row) => {
    if (row.contender.mode !== 'profiling') return rows[0];
    const build = row.contender.name.slice(0, row.contender.name.indexOf(','));
    return rows.find((r) => r.contender.mode === '100%' && r.contender.name.startsWith(`${build},`)) ?? rows[0];
  };
  const groups = GROUPS.filter((g) => rows.some((r) => r.byGroup[g] > 0.005));
  console.log(
    `## CPU per request: ${SCENARIO_NAME}, ${version}${frame.length > 0 ? ` (every contender with ${frame.join(' ')})` : ''}, ${COPIES} processes per contender, ${ROUNDS} rounds of ${SECONDS} s each, ${CONNECTIONS} connections\n`,
  );
  console.log(`| | µs per request | ${groups.join(' | ')} | spread over processes |`);
  console.log(`|---|---:|${groups.map(() => '---:').join('|')}|---|`);
  for (const row of rows)
    console.log(
      `| ${row.contender.name} | ${row.total.toFixed(2)} | ${groups.map((g) => row.byGroup[g].toFixed(2)).join(' | ')} | ${Math.min(...row.perProcess).toFixed(1)}–${Math.max(...row.perProcess).toFixed(1)} |`,
    );
  console.log("\nThroughput on one core kept, as the reference's CPU per request over the contender's (per-round ratios: quartiles):\n");
  for (const row of rows.slice(1)) {
    const reference = referenceOf(row);
    const ratios = perRound.get(reference.contender).map((ref, i) => ref / perRound.get(row.contender)[i]);
    console.log(
      `- ${row.contender.name}: ${(reference.total / row.total).toFixed(3)} of ${reference.contender.name} (rounds: ${quantile(ratios, 0.25).toFixed(3)}, ${median(ratios).toFixed(3)}, ${quantile(ratios, 0.75).toFixed(3)})`,
    );
  }
}

await main();
