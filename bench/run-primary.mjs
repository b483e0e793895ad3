// What `sightline run`'s primary costs: its CPU and memory while the workers are idle, under
// keep-alive load, and under a new connection per request (the primary accepts every connection and
// hands it to a worker, so that is its busiest case). Figures come from /proc: CPU time (utime +
// stime) over the measured seconds, as a share of one core and of what the workers used alongside;
// how evenly the two workers shared the work; the primary's resident memory at the end, and its peak.
// Both of node:cluster's scheduling policies: round-robin (Node's default, the primary accepts every
// connection) and none (NODE_CLUSTER_SCHED_POLICY=none: the workers accept from one shared socket).
//
//   npm run bench:run-primary   (BENCH_DURATION=10 seconds per phase, BENCH_CONNECTIONS=64, BENCH_ROUNDS=2)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const SIGHTLINE_BIN = join(BENCH, '../packages/sightline/bin/sightline.mjs');
const AUTOCANNON = join(BENCH, 'node_modules/autocannon/autocannon.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const WORKERS = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PORT = 39_000 + Math.floor(Math.random() * 1000);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds the process has used so far (user + system). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function workerPids(log) {
  return [...log.matchAll(/worker \d+ \(pid (\d+)\) listening/g)].map((m) => Number(m[1]));
}

async function until(predicate, what) {
  const deadline = Date.now() + 30_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `phase` for DURATION seconds and reports the CPU the primary and the workers used meanwhile. */
async function measure(name, primary, workers, phase) {
  const before = { primary: cpuSeconds(primary), each: workers.map(cpuSeconds) };
  const started = process.hrtime.bigint();
  const load = await phase();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const primaryCpu = cpuSeconds(primary) - before.primary;
  const each = workers.map((pid, i) => cpuSeconds(pid) - before.each[i]);
  const workersCpu = each.reduce((sum, s) => sum + s, 0);
  const memory = memoryMb(primary);
  return {
    phase: name,
    'req/s': load === undefined ? '—' : Math.round(load.requests.average),
    'primary CPU % of a core': ((100 * primaryCpu) / seconds).toFixed(2),
    'primary CPU / workers CPU %': workersCpu > 0 ? ((100 * primaryCpu) / workersCpu).toFixed(2) : '—',
    'busiest worker % of workers CPU': workersCpu > 0.1 ? ((100 * Math.max(...each)) / workersCpu).toFixed(0) : '—',
    'primary RSS MB': memory.rss.toFixed(1),
    'primary peak RSS MB': memory.peak.toFixed(1),
  };
}

function autocannon(extraArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(DURATION), '--json', ...extraArgs, `http://127.0.0.1:${PORT}/items/1`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`))));
  });
}

/** One `sightline run` with the given node:cluster scheduling policy, through the three phases. */
async function measurePolicy(policy) {
  const run = spawn(process.execPath, [SIGHTLINE_BIN, 'run', '--workers', String(WORKERS), join(BENCH, 'apps/hello.mjs')], {
    cwd: BENCH,
    // Export off: the workers' exporters do not touch the primary, and a sink would compete for the CPUs.
    env: {
      PATH: process.env.PATH,
      NODE_CLUSTER_SCHED_POLICY: policy,
      PORT: String(PORT),
      OTEL_SERVICE_NAME: 'bench-run',
      OTEL_TRACES_EXPORTER: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  run.stdout.on('data', (d) => (log += d));
  run.stderr.on('data', (d) => (log += d));
  try {
    await until(() => workerPids(log).length === WORKERS, 'the workers to listen');
    const workers = workerPids(log);
    // Warm the workers up, then let everything settle.
    await autocannon([]);
    await new Promise((r) => setTimeout(r, 1000));
    return [
      await measure('idle', run.pid, workers, () => new Promise((r) => setTimeout(r, DURATION * 1000))),
      await measure(`keep-alive (${CONNECTIONS} connections)`, run.pid, workers, () => autocannon([])),
      await measure('new connection per request', run.pid, workers, () => autocannon(['-H', 'connection=close'])),
    ].map((row) => ({ policy: policy === 'rr' ? 'round-robin (default)' : 'none (shared socket)', ...row }));
  } finally {
    const exited = new Promise((r) => run.once('exit', r));
    run.kill('SIGTERM');
    await exited;
  }
}

const rows = [];
// Both policies side by side in each round, so that drift on a shared machine hits both alike.
for (let round = 0; round < ROUNDS; round++) for (const policy of ['rr', 'none']) rows.push(...(await measurePolicy(policy)));
console.log(`sightline run --workers ${WORKERS}, Fastify hello app, Node ${process.version}, ${DURATION} s per phase, ${ROUNDS} round(s)`);
console.table(rows);
