// CPU per request of every contender at once, over each process's life (`npm run bench:together [--
// --against <commit>]`): `hello` (or `realistic`, BENCH_SCENARIO) untraced and with Sightline in each
// mode, one process each, all on CPU 0 at the same time, each driven by a wrk of its own on CPU 1 in
// chunks of a few seconds. Each chunk gives every contender's CPU time per request (all its threads,
// from /proc) over the same seconds.
//
// Why this shape: `npm run bench` and `bench:cpu` load one process at a time, and on this project's
// shared machine the speed moves by 2x within tens of seconds, so two contenders measured a few
// seconds apart differ by that much on its own. Here every contender runs through the same seconds,
// so a slow spell slows them all alike and each chunk's ratios hold; and as load never stops, a row
// shows how a process's cost settles as it warms up (the JIT, the young generation's growth), which
// a tool that measures one window after a fixed warm-up cannot. The processes share one core, so
// each serves about 1/n of what it would alone, and their caches are shared: read the ratios, not
// the absolute microseconds, and the warm-up by requests served, not by seconds.
//
// Needs `wrk` and `taskset`. Settings (environment): BENCH_NODES=24 (one line)  BENCH_CHUNKS=20
// BENCH_SECONDS=4 (per chunk)  BENCH_CONNECTIONS=64  BENCH_MODES=100%,10%,always_off (Sightline
// contenders, tail and profiling also possible; untraced always runs)  BENCH_SCENARIO=hello (or realistic)  BENCH_VARIANTS='{"name":
// {"VARIABLE": "value"}}' (more contenders of this build, on top of 100%, as in bench:cpu)
// BENCH_SKIP=3 (chunks left out of the summary, as warm-up)  BENCH_HEADER='traceparent: 00-…-00' (header
// lines, one per line, that wrk sends with every request: a service behind a traced one, whose requests come with a parent)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contendersFor } from './modes.mjs';
import { againstArgument, buildsUnderTest, removePrevious } from './previous-build.mjs';
import { nodeFor, runtimeArgs } from './node-binary.mjs';
import { cpuByGroup } from './proc-cpu.mjs';
import { THREAD_GROUPS } from './thread-groups.mjs';
import { requirePrograms, requireTwoCpus } from './require-tools.mjs';
import { datastoreEnv, scenarioFromEnv } from './scenario.mjs';
import { spawnReady } from './spawn-ready.mjs';
import { parseVariants } from './variants.mjs';
import { wrkRequestsAsync } from './wrk.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const CHUNKS = Number(env.BENCH_CHUNKS ?? 20);
const SECONDS = Number(env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const SKIP = Number(env.BENCH_SKIP ?? 3);
const NODE_LINE = env.BENCH_NODES ?? '24';
const MODES = (env.BENCH_MODES ?? '100%,10%,always_off').split(',');
const SCENARIO = scenarioFromEnv(env, 'bench:together');
const AGAINST = againstArgument();
const HEADER = env.BENCH_HEADER || undefined;

requirePrograms('bench:together', ['wrk', 'taskset']);
requireTwoCpus('bench:together', 'the apps');

const total = (byGroup) => Object.values(byGroup).reduce((a, b) => a + b, 0);

/** One chunk of wrk against one app, run alongside the others': the requests it served. */
const wrk = (port) => wrkRequestsAsync(port, SCENARIO.path, SECONDS, CONNECTIONS, HEADER);

async function main() {
  const nodeBin = nodeFor(NODE_LINE);
  execFileSync('npm', ['run', 'build', '-w', 'sightline'], { cwd: join(BENCH, '..'), stdio: 'ignore' });
  const builds = await buildsUnderTest(AGAINST);
  const contenders = contendersFor(builds, MODES, parseVariants(env.BENCH_VARIANTS));
  const frame = runtimeArgs(nodeBin);
  const plain = { PATH: env.PATH, HOME: env.HOME };
  const sink = spawnReady('taskset', ['-c', '1', nodeBin, 'sink.mjs'], plain, BENCH);
  const stub = spawnReady('taskset', ['-c', '1', nodeBin, 'apps/stub.mjs'], plain, BENCH);
  const apps = [];
  try {
    const { otlp } = await sink.ready;
    const stubUrl = `http://127.0.0.1:${(await stub.ready).port}/quote`;
    for (const contender of contenders) {
      const app = spawnReady(
        'taskset',
        ['-c', '0', nodeBin, ...frame, ...contender.args, SCENARIO.app],
        {
          ...plain,
          OTEL_SERVICE_NAME: 'bench',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}`,
          OTEL_METRICS_EXPORTER: 'otlp',
          ...datastoreEnv(env),
          STUB_URL: stubUrl,
          ...contender.env,
        },
        BENCH,
      );
      apps.push({ contender, app, port: (await app.ready).port, chunks: [], served: 0, kept: { requests: 0, cpu: {} } });
    }
    console.error(`bench:together: ${apps.length} processes on CPU 0, ${CHUNKS} chunks of ${SECONDS} s`);
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      const before = apps.map((a) => cpuByGroup(a.app.child.pid));
      const served = await Promise.all(apps.map((a) => wrk(a.port)));
      apps.forEach((a, i) => {
        const after = cpuByGroup(a.app.child.pid);
        const used = Object.fromEntries(Object.keys(after).map((g) => [g, after[g] - (before[i][g] ?? 0)]));
        a.served += served[i];
        a.chunks.push({ perRequest: total(used) / served[i], served: a.served });
        if (chunk < SKIP) return;
        a.kept.requests += served[i];
        for (const g of Object.keys(used)) a.kept.cpu[g] = (a.kept.cpu[g] ?? 0) + used[g];
      });
      console.error(`bench:together: chunk ${chunk + 1}/${CHUNKS}`);
    }
    await report(apps, nodeBin, frame);
  } finally {
    for (const a of apps) a.app.child.kill('SIGKILL');
    sink.child.kill('SIGKILL');
    stub.child.kill('SIGKILL');
    if (AGAINST !== undefined) removePrevious();
  }
}

async function report(apps, nodeBin, frame) {
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const reference = apps[0];
  console.log(
    `## CPU per request, all contenders at once: ${SCENARIO.name}, ${version}${frame.length > 0 ? ` (every contender with ${frame.join(' ')})` : ''}, ${CHUNKS} chunks of ${SECONDS} s, ${CONNECTIONS} connections each${HEADER === undefined ? '' : `, every request with \`${HEADER}\``}\n`,
  );
  console.log('Each chunk: µs of CPU per request (thousands of requests the process had served by its end).\n');
  console.log(`| chunk | ${apps.map((a) => a.contender.name).join(' | ')} |`);
  console.log(`|---:|${apps.map(() => '---:').join('|')}|`);
  for (let i = 0; i < CHUNKS; i++)
    console.log(
      `| ${i + 1} | ${apps.map((a) => `${a.chunks[i].perRequest.toFixed(2)} (${Math.round(a.chunks[i].served / 1000)}k)`).join(' | ')} |`,
    );
  const groups = THREAD_GROUPS.filter((g) => apps.some((a) => (a.kept.cpu[g] ?? 0) / a.kept.requests > 0.005));
  console.log(`\nChunks ${SKIP + 1}–${CHUNKS} together, µs per request by thread group:\n`);
  console.log(`| | all | ${groups.join(' | ')} | kept of untraced | per chunk (quartiles) |`);
  console.log(`|---|---:|${groups.map(() => '---:').join('|')}|---:|---|`);
  const perRequest = (a) => total(a.kept.cpu) / a.kept.requests;
  const quantile = (values, q) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(values.length * q))];
  for (const a of apps) {
    const ratios = a.chunks.slice(SKIP).map((c, i) => reference.chunks[SKIP + i].perRequest / c.perRequest);
    console.log(
      `| ${a.contender.name} | ${perRequest(a).toFixed(2)} | ${groups.map((g) => ((a.kept.cpu[g] ?? 0) / a.kept.requests).toFixed(2)).join(' | ')} | ${(perRequest(reference) / perRequest(a)).toFixed(3)} | ${[0.25, 0.5, 0.75].map((q) => quantile(ratios, q).toFixed(3)).join(', ')} |`,
    );
  }
}

await main();
