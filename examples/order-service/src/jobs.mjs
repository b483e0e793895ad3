// The confirmation queue: BullMQ on Redis when REDIS_URL is set, otherwise pg-boss on the same
// Postgres. Sightline traces both with no code here: the job carries the request's trace context,
// and the worker's span continues it.
export const QUEUE = 'order-confirmations';
export const mode = process.env.REDIS_URL ? 'bullmq' : 'pg-boss';

async function redisConnection() {
  const { default: Redis } = await import('ioredis');
  // BullMQ's blocking reads need maxRetriesPerRequest: null.
  return new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
}

async function startPgBoss() {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: process.env.DATABASE_URL, max: 2 });
  boss.on('error', (error) => console.error('pg-boss:', error.message));
  await boss.start();
  await boss.createQueue(QUEUE);
  return boss;
}

export async function createProducer() {
  if (mode === 'bullmq') {
    const { Queue } = await import('bullmq');
    const queue = new Queue(QUEUE, { connection: await redisConnection() });
    return {
      send: async (data) => (await queue.add('confirm', data, { attempts: 3, backoff: { type: 'fixed', delay: 200 } })).id,
      close: () => queue.close(),
    };
  }
  const boss = await startPgBoss();
  return { send: (data) => boss.send(QUEUE, data, { retryLimit: 2 }), close: () => boss.stop({ graceful: false }) };
}

export async function startConsumer(handle) {
  if (mode === 'bullmq') {
    const { Worker } = await import('bullmq');
    const worker = new Worker(QUEUE, (job) => handle(job.data), { connection: await redisConnection() });
    worker.on('error', (error) => console.error('bullmq:', error.message));
    await worker.waitUntilReady();
    return { close: () => worker.close() };
  }
  const boss = await startPgBoss();
  await boss.work(QUEUE, { pollingIntervalSeconds: 0.5 }, async ([job]) => handle(job.data));
  return { close: () => boss.stop({ graceful: false }) };
}
