// The downstream service the realistic scenario calls: untraced, pinned beside the load generator.
import http from 'node:http';

const body = JSON.stringify({ price: 7 });
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
