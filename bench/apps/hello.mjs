// Scenario `hello`: Fastify 5, GET /items/:id returning a small JSON object.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/items/:id', async (request) => ({ id: request.params.id, name: 'widget', price: 42 }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));
