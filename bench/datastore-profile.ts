// Where a traced datastore call spends its CPU (`npm run bench:datastore`): N calls of a real pg query
// and a real ioredis GET inside a trace, under V8's sampling profiler, and the self time of the
// samples in Sightline's code and in the client library's, per call. Unlike a wall- or CPU-clock
// difference (bench:micro), this leaves out the round trip to the server and the kernel's part,
// which vary by tens of microseconds on a shared machine. The profiler itself adds to small
// functions, so read the figures as an upper bound.
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
const { trace } = createRequire(new URL('../packages/sightline/src/index.ts', import.meta.url))(
  '@opentelemetry/api',
) as typeof import('@opentelemetry/api');
import { init, shutdown } from '../packages/sightline/src/index.ts';

const CALLS = Number(process.env.CALLS ?? 20_000);
init({ serviceName: 'bench', exporter: 'none', logLevel: 'error' });
const tracer = trace.getTracer('bench');

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

async function profile(name: string, library: RegExp, call: () => Promise<unknown>): Promise<void> {
  const traced = (n: number) =>
    tracer.startActiveSpan('request', async (span) => {
      for (let i = 0; i < n; i++) await call();
      span.end();
    });
  await traced(2000); // warm-up: the JIT settles before sampling starts
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  await traced(CALLS);
  const { profile: p } = (await session.post('Profiler.stop')) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  session.disconnect();
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = { sightline: 0, library: 0, total: 0 };
  const functions = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const t = p.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    self.total += t;
    if (frame.url.includes('/packages/sightline/')) {
      self.sightline += t;
      const key = `${frame.url.split('/packages/sightline/')[1]} ${frame.functionName || '(anonymous)'}`;
      functions.set(key, (functions.get(key) ?? 0) + t);
    } else if (library.test(frame.url)) self.library += t;
  });
  const perCall = (us: number) => (us / CALLS).toFixed(2);
  console.log(
    `${name}: Sightline ${perCall(self.sightline)} µs per call, the library itself ${perCall(self.library)} µs (self time, ${CALLS.toLocaleString()} calls)`,
  );
  for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`  ${perCall(us)} µs  ${key}`);
}

try {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  await profile('pg query SELECT $1', /node_modules\/pg(-[a-z]+)?\//, () => client.query('SELECT $1::int AS n', [1]));
  await client.end();
} catch (error) {
  console.error(`pg skipped: ${(error as Error).message}`);
}
try {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  await profile('ioredis GET', /node_modules\/(@ioredis|ioredis)\//, () => redis.get('sightline:bench'));
  redis.disconnect();
} catch (error) {
  console.error(`ioredis skipped: ${(error as Error).message}`);
}
await shutdown();
