// Scenario `realistic`: one Postgres query through pg, one Redis GET through ioredis and one outbound
// fetch to a local stub, then JSON.
import Fastify from 'fastify';
import pg from 'pg';
import Redis from 'ioredis';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
const redis = new Redis(process.env.REDIS_URL);
await redis.set('bench:item', JSON.stringify({ name: 'widget' }));

const app = Fastify({ logger: false });
app.get('/orders/:id', async (request) => {
  const { rows } = await pool.query('SELECT $1::int AS id, 42 AS price', [Number(request.params.id)]);
  const cached = await redis.get('bench:item');
  const quote = await (await fetch(process.env.STUB_URL)).json();
  return { ...rows[0], item: JSON.parse(cached), shipping: quote.price };
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
