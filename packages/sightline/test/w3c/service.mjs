// The W3C Trace Context test service: traced only by Sightline's zero-code setup (--import
// sightline/register). The harness POSTs a JSON array of {url, arguments}; for each, in order, the
// service POSTs `arguments` to `url` with fetch, so Sightline's propagation is what the harness sees.
import http from 'node:http';

const server = http.createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  let cases = [];
  try {
    cases = body ? JSON.parse(body) : [];
  } catch {
    res.statusCode = 400;
    res.end('the body is not JSON');
    return;
  }
  for (const { url, arguments: args } of cases) {
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
    await answer.arrayBuffer();
  }
  res.end('ok');
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
