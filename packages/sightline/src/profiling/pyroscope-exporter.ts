// Sends pprof profiles to a Pyroscope-compatible server's ingest API (Grafana Pyroscope, Grafana
// Alloy's pyroscope.receive_http): POST /ingest?name=…&from=…&until=…&spyName=nodespy, the gzipped
// pprof as the `profile` part of a multipart form.
import { randomBytes } from 'node:crypto';
import { http } from '../builtins/http.js';

const TIMEOUT_MILLIS = 10_000;

export class PyroscopeExporter {
  private readonly url: URL;

  constructor(
    endpoint: string,
    private readonly applicationName: string,
    private readonly sampleRateHz: number,
  ) {
    this.url = new URL(endpoint.replace(/\/+$/, '') + '/ingest');
  }

  /** Resolves when the server accepted the profile; rejects with what went wrong. */
  send(gzippedPprof: Uint8Array, fromMillis: number, untilMillis: number): Promise<void> {
    const url = new URL(this.url);
    url.searchParams.set('name', this.applicationName);
    url.searchParams.set('from', String(Math.floor(fromMillis / 1000)));
    url.searchParams.set('until', String(Math.ceil(untilMillis / 1000)));
    url.searchParams.set('format', 'pprof');
    url.searchParams.set('spyName', 'nodespy');
    url.searchParams.set('sampleRate', String(this.sampleRateHz));
    const { body, contentType } = multipart(gzippedPprof);
    // node:https only for an https: server: loading it costs the app ~2 MB of RSS.
    const lib = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : http;
    return new Promise((resolve, reject) => {
      const request = lib.request(
        url,
        { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length }, timeout: TIMEOUT_MILLIS },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < 200) text += chunk;
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`${url.host} answered HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`));
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${url.host} did not answer within ${TIMEOUT_MILLIS} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}

function multipart(content: Uint8Array): { body: Buffer; contentType: string } {
  const boundary = `sightline-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="profile.pprof"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
