// Which app the single-scenario tools (bench:cpu, bench:attribute, bench:instructions) drive, from
// BENCH_SCENARIO: `hello` (Fastify, one route), `realistic` (a Postgres query, a Redis GET and an
// outbound fetch per request) or `hello-log` (hello with one pino line per request), and where
// realistic's Postgres and Redis are.

const SCENARIOS = {
  hello: { app: 'apps/hello.mjs', prefix: '/items/' },
  realistic: { app: 'apps/realistic.mjs', prefix: '/orders/' },
  'hello-log': { app: 'apps/hello-log.mjs', prefix: '/items/' },
};

/**
 * The scenario BENCH_SCENARIO names (hello when unset): its app, a request path, and the prefix a path
 * takes an id after. `tool` names the command in the error for an unknown scenario.
 */
export function scenarioFromEnv(env, tool) {
  const name = env.BENCH_SCENARIO ?? 'hello';
  const scenario = SCENARIOS[name];
  if (scenario === undefined) throw new Error(`BENCH_SCENARIO=${name}: ${tool} runs ${Object.keys(SCENARIOS).join(' or ')}`);
  return { name, app: scenario.app, prefix: scenario.prefix, path: `${scenario.prefix}42` };
}

/** DATABASE_URL and REDIS_URL for the realistic app: the environment's, or this machine's own servers. */
export function datastoreEnv(env) {
  return {
    DATABASE_URL: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
