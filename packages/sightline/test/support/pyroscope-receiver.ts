// An HTTP endpoint that takes what a Pyroscope server's /ingest takes (a gzipped pprof as the
// `profile` part of a multipart form, metadata in the query) and decodes each profile with
// pprof-format, an independent pprof reader.
import http from 'node:http';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';

export interface IngestedProfile {
  query: URLSearchParams;
  profile: Profile;
}

export interface PyroscopeReceiver {
  url: string;
  profiles: IngestedProfile[];
  /** Requests that could not be read, with why. */
  rejected: string[];
  close(): Promise<void>;
}

function profilePart(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (boundary === undefined) throw new Error(`no multipart boundary in "${contentType}"`);
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    if (/name="profile"/.test(headers)) return part.subarray(headerEnd + 4);
    start = next;
  }
  throw new Error('no "profile" part in the form');
}

export async function startPyroscopeReceiver(): Promise<PyroscopeReceiver> {
  const profiles: IngestedProfile[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method !== 'POST' || url.pathname !== '/ingest') throw new Error(`${req.method} ${url.pathname}`);
        const part = profilePart(Buffer.concat(chunks), String(req.headers['content-type'] ?? ''));
        profiles.push({ query: url.searchParams, profile: Profile.decode(gunzipSync(part)) });
        res.writeHead(200).end();
      } catch (error) {
        rejected.push((error as Error).message);
        res.writeHead(400).end((error as Error).message);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    profiles,
    rejected,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The string a pprof string-table index names. */
export function str(profile: Profile, index: number | bigint): string {
  return profile.stringTable.strings[Number(index)] ?? '';
}

/** Each sample's labels (key → string value) and leaf function name, with its count (the first value). */
export function samplesOf(profile: Profile): Array<{ labels: Record<string, string>; functions: string[]; count: number }> {
  const functions = new Map(profile.function.map((f) => [Number(f.id), str(profile, f.name)]));
  const locations = new Map(
    profile.location.map((l) => [Number(l.id), l.line.map((line) => functions.get(Number(line.functionId)) ?? '')]),
  );
  return profile.sample.map((sample) => ({
    labels: Object.fromEntries(sample.label.map((label) => [str(profile, label.key), str(profile, label.str)])),
    // Leaf first, as pprof orders a sample's locations.
    functions: sample.locationId.flatMap((id) => locations.get(Number(id)) ?? []),
    count: Number(sample.value[0]),
  }));
}
