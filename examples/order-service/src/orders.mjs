// orders (Fastify, port 3000): POST /orders validates the body, stores the order, asks shipping for
// a quote over fetch, enqueues a confirmation job and answers 201. Nothing here mentions tracing:
// `node --import sightline/register` gives every request, query, fetch and job its span, and every
// line of Fastify's pino logger its trace ids, exported as a log record under its span.
import Fastify from 'fastify';
import { ensureSchema, pool } from './db.mjs';
import { createProducer, mode } from './jobs.mjs';

const port = Number(process.env.ORDERS_PORT ?? 3000);
const shippingUrl = process.env.SHIPPING_URL ?? 'http://127.0.0.1:3001';

const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  // "2" is not a quantity: no type coercion, so the 400 says what was wrong.
  ajv: { customOptions: { coerceTypes: false } },
});

await ensureSchema();
const jobs = await createProducer();

const orderBody = {
  type: 'object',
  required: ['item', 'quantity'],
  additionalProperties: false,
  properties: {
    item: { type: 'string', minLength: 1, maxLength: 200 },
    quantity: { type: 'integer', minimum: 1 },
  },
};

app.get('/healthz', async () => ({ ok: true }));

app.post('/orders', { schema: { body: orderBody } }, async (request, reply) => {
  const { item, quantity } = request.body;
  const {
    rows: [order],
  } = await pool.query('INSERT INTO order_service.orders (item, quantity, status) VALUES ($1, $2, $3) RETURNING *', [
    item,
    quantity,
    'pending',
  ]);
  const quote = await fetch(`${shippingUrl}/quotes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item, quantity }),
  });
  const answer = await quote.json();
  if (!quote.ok) {
    await pool.query('UPDATE order_service.orders SET status = $1 WHERE id = $2', ['declined', order.id]);
    request.log.error({ orderId: order.id, reason: answer.error }, 'shipping declined the order');
    return reply.code(502).send({ error: `shipping declined the order: ${answer.error}`, orderId: order.id });
  }
  const {
    rows: [quoted],
  } = await pool.query('UPDATE order_service.orders SET shipping_cents = $1 WHERE id = $2 RETURNING *', [answer.cents, order.id]);
  const jobId = await jobs.send({ orderId: order.id });
  request.log.info({ orderId: order.id, jobId, queue: mode }, 'order accepted');
  return reply.code(201).send(quoted);
});

app.get('/orders/:id', async (request, reply) => {
  const id = Number(request.params.id);
  if (!Number.isInteger(id) || id < 1) return reply.code(404).send({ error: `no order ${request.params.id}` });
  const {
    rows: [order],
  } = await pool.query('SELECT * FROM order_service.orders WHERE id = $1', [id]);
  if (!order) return reply.code(404).send({ error: `no order ${id}` });
  return order;
});

const close = async () => {
  await app.close();
  await jobs.close();
  await pool.end();
};
process.once('SIGTERM', () =>
  close().then(
    () => process.exit(0),
    () => process.exit(1),
  ),
);

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
