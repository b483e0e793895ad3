// An embedded Postgres for machines with none: PGlite (Postgres compiled to WebAssembly) served over
// the Postgres wire protocol, so the services use the same `pg` driver, pools and pg-boss as they
// would against a real server. Started by start.mjs when DATABASE_URL is unset.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.env.PG_PORT ?? 55432);
const dataDir = process.env.PGLITE_DATA; // unset: in memory, fresh at every start
const db = await PGlite.create(dataDir ? { dataDir } : undefined);
// More than one connection, so a pg Pool and pg-boss's own pool can connect side by side (PGlite
// runs their statements one at a time).
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
await server.start();
console.log(JSON.stringify({ ready: true, url: `postgres://postgres@127.0.0.1:${port}/postgres` }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
