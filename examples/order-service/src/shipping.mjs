// shipping (Hono, port 3001): POST /quotes prices an order from a rate table in Postgres. Items
// whose name starts with "decline" are refused, so the demo always has error traces to look at.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { ensureSchema, pool } from './db.mjs';

const port = Number(process.env.SHIPPING_PORT ?? 3001);
const log = pino();
await ensureSchema();

const app = new Hono();
app.get('/healthz', (c) => c.json({ ok: true }));
app.post('/quotes', async (c) => {
  const { item, quantity } = await c.req.json();
  if (typeof item !== 'string' || !Number.isInteger(quantity) || quantity < 1) {
    return c.json({ error: 'item (string) and quantity (positive integer) are required' }, 400);
  }
  if (item.startsWith('decline')) {
    log.warn({ item }, 'quote declined');
    return c.json({ error: `we do not ship "${item}"` }, 422);
  }
  const size = quantity > 10 ? 'large' : 'small';
  const {
    rows: [rate],
  } = await pool.query('SELECT cents_per_unit FROM order_service.shipping_rates WHERE size = $1', [size]);
  log.info({ item, quantity, size }, 'quote given');
  return c.json({ cents: rate.cents_per_unit * quantity, size });
});

const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' }, () => log.info({ port }, 'shipping listening'));
process.once('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
