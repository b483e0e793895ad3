// The HTTP side the metrics and logs test receivers share: a loopback server that takes OTLP POSTs,
// gunzips them, notes each request's content type and path, hands the body to the receiver, and
// answers 200 in the request's own encoding.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

export interface OtlpRequest {
  contentType: string;
  path: string;
}

export interface OtlpHttpServer {
  url: string;
  requests: OtlpRequest[];
  close(): Promise<void>;
}

/** `onBody` gets each request's path, its (gunzipped) body and whether it is OTLP/JSON. */
export async function serveOtlp(onBody: (path: string, body: Buffer, json: boolean) => void): Promise<OtlpHttpServer> {
  const requests: OtlpRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const contentType = String(req.headers['content-type'] ?? '');
      const json = contentType.includes('json');
      const path = req.url ?? '';
      requests.push({ contentType, path });
      onBody(path, body, json);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `predicate` holds, polling; `what` names what never came in the error. */
export async function until(predicate: () => boolean, timeoutMillis: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 20));
  }
}
