// Scenario `hello-log`: `hello` with one pino line per request, through Fastify's request logger
// (its own per-request lines switched off), written to /dev/null so that only the logging and its
// telemetry are measured, not a terminal.
import Fastify from 'fastify';

const app = Fastify({ logger: { level: 'info', file: '/dev/null' }, disableRequestLogging: true });
app.get('/items/:id', async (request) => {
  request.log.info({ itemId: request.params.id }, 'item served');
  return { id: request.params.id, name: 'widget', price: 42 };
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
