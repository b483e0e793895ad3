// worker: consumes order confirmations (pg-boss on Postgres, or BullMQ when REDIS_URL is set),
// marks the order confirmed and logs. Its spans continue the trace of the request that sent the job.
import pino from 'pino';
import { pool } from './db.mjs';
import { mode, startConsumer } from './jobs.mjs';

const log = pino();
const consumer = await startConsumer(async ({ orderId }) => {
  const { rowCount } = await pool.query("UPDATE order_service.orders SET status = 'confirmed' WHERE id = $1 AND status = 'pending'", [
    orderId,
  ]);
  log.info({ orderId, updated: rowCount }, 'order confirmed');
});
log.info({ queue: mode }, 'worker ready');

process.once('SIGTERM', () =>
  consumer
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    ),
);
