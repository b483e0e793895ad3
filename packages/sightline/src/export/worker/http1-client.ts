// A minimal HTTP/1.1 client over plain `net` sockets, for OTLP/HTTP to an http: endpoint: one POST
// per connection at a time, connections kept alive between batches. It exists for the export on the
// app's own event loop (in-process-export.ts): Node's `http` client runs the same http, stream and
// parser functions as the app's HTTP server with objects of other shapes (ClientRequest beside
// ServerResponse, a response IncomingMessage beside the request's), and those functions' inline caches
// then turn megamorphic, which cost `hello` ~2 µs per request (bench:instructions: +3,000
// instructions per request in V8's IC builtins). A raw socket shares only the socket write path.
import { readSync } from 'node:fs';
import net from 'node:net';

export interface Http1Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class Http1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** The response to one request, read off a socket as it arrives. */
class ResponseReader {
  private head: Buffer | undefined = Buffer.alloc(0);
  private status = 0;
  private headers: Record<string, string> = {};
  private remaining = -1; // body bytes still to come with content-length; -1: until close, or chunked
  private chunked = false;
  private chunkBuffer = Buffer.alloc(0);
  private readonly body: Buffer[] = [];
  private bodySize = 0;
  done = false;
  keepAlive = true;

  constructor(private readonly maxBodyBytes: number) {}

  /** Takes bytes off the socket; throws on a response that is not HTTP/1.x. */
  push(data: Buffer): void {
    if (this.head !== undefined) {
      this.head = Buffer.concat([this.head, data]);
      const end = this.head.indexOf(CRLF_CRLF);
      if (end === -1) {
        if (this.head.length > 64 * 1024) throw new Http1Error('response headers over 64 KiB', 'HPE_HEADER_OVERFLOW');
        return;
      }
      const rest = this.head.subarray(end + 4);
      this.parseHead(this.head.toString('latin1', 0, end));
      this.head = undefined;
      if (this.remaining === 0 && !this.chunked) {
        this.done = true;
        return;
      }
      if (rest.length === 0) return;
      data = rest;
    }
    if (this.chunked) this.pushChunked(data);
    else this.pushBody(data);
  }

  /** The connection closed: a response whose length was the connection's is complete now. */
  closed(): boolean {
    if (this.head === undefined && this.remaining === -1 && !this.chunked) this.done = true;
    return this.done;
  }

  response(): Http1Response {
    return { status: this.status, headers: this.headers, body: Buffer.concat(this.body) };
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (statusLine === null)
      throw new Http1Error(`not an HTTP/1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`, 'HPE_INVALID');
    this.status = Number(statusLine[2]);
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i]!.indexOf(':');
      if (colon <= 0) continue;
      this.headers[lines[i]!.slice(0, colon).trim().toLowerCase()] = lines[i]!.slice(colon + 1).trim();
    }
    const connection = this.headers['connection']?.toLowerCase();
    this.keepAlive = statusLine[1] === '1' ? connection !== 'close' : connection === 'keep-alive';
    if (/\bchunked\b/i.test(this.headers['transfer-encoding'] ?? '')) this.chunked = true;
    else if (this.headers['content-length'] !== undefined) {
      const length = Number(this.headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0)
        throw new Http1Error(`bad content-length ${this.headers['content-length']}`, 'HPE_INVALID');
      this.remaining = length;
    } else if (this.status === 204 || this.status === 304 || this.status < 200) this.remaining = 0;
    else this.keepAlive = false; // the body ends with the connection
  }

  private keep(data: Buffer): void {
    if (this.bodySize < this.maxBodyBytes) this.body.push(data.subarray(0, this.maxBodyBytes - this.bodySize));
    this.bodySize += data.length;
  }

  private pushBody(data: Buffer): void {
    if (this.remaining === -1) {
      this.keep(data);
      return;
    }
    const take = data.subarray(0, this.remaining);
    this.keep(take);
    this.remaining -= take.length;
    if (this.remaining === 0) this.done = true;
  }

  private pushChunked(data: Buffer): void {
    let buf = this.chunkBuffer.length > 0 ? Buffer.concat([this.chunkBuffer, data]) : data;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n');
      if (lineEnd === -1) break;
      const size = parseInt(buf.toString('latin1', 0, lineEnd).split(';')[0]!, 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Http1Error('bad chunk size', 'HPE_INVALID');
      if (size === 0) {
        // The last chunk; trailers (if any) are not read, so the connection is not reused.
        if (buf.indexOf(CRLF_CRLF, lineEnd) !== lineEnd) this.keepAlive = false;
        this.done = true;
        return;
      }
      if (buf.length < lineEnd + 2 + size + 2) break;
      this.keep(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      buf = buf.subarray(lineEnd + 2 + size + 2);
    }
    this.chunkBuffer = Buffer.from(buf);
  }
}

interface Pending {
  /** What the caller named the request by, for the exit path to find it (settleSync). */
  key: object;
  reader: ResponseReader;
  resolve: (response: Http1Response) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** No byte of the response has arrived: a reused connection the server had closed may be retried at once. */
  untouched: boolean;
}

/** One kept-alive connection, one request at a time. */
class Connection {
  readonly socket: net.Socket;
  pending: Pending | undefined;
  reused = false;
  dead = false;

  constructor(host: string, port: number, onGone: (c: Connection) => void) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (data: Buffer) => {
      const p = this.pending;
      if (p === undefined) {
        this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted any more
        return;
      }
      p.untouched = false;
      try {
        p.reader.push(data);
      } catch (error) {
        this.fail(error as Error);
        this.socket.destroy();
        return;
      }
      if (p.reader.done) this.finish(p);
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      this.dead = true;
      const p = this.pending;
      if (p !== undefined) {
        if (p.reader.closed()) this.finish(p);
        else this.fail(new Http1Error('the connection closed before the response ended', 'ECONNRESET'));
      }
      onGone(this);
    });
  }

  /**
   * At process exit, where no event loop runs: reads the rest of the response straight off the
   * socket, polling until `deadline`. Undefined when the request was not all written (the collector
   * cannot have taken it), when the platform gives no descriptor, or when no complete answer came.
   */
  readSync(deadline: number): Http1Response | undefined {
    const p = this.pending;
    if (p === undefined || this.dead || this.socket.connecting || this.socket.writableLength > 0) return undefined;
    const fd = (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return undefined;
    const buffer = Buffer.allocUnsafe(64 * 1024);
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    while (!p.reader.done) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= deadline) return undefined;
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      try {
        if (n === 0) return p.reader.closed() ? p.reader.response() : undefined;
        p.reader.push(buffer.subarray(0, n));
      } catch {
        return undefined;
      }
    }
    return p.reader.response();
  }

  private finish(p: Pending): void {
    this.pending = undefined;
    clearTimeout(p.timer);
    if (!p.reader.keepAlive) {
      this.dead = true; // not reused: the collector said it closes the connection
      this.socket.end();
    }
    this.socket.unref();
    p.resolve(p.reader.response());
  }

  fail(error: Error): void {
    const p = this.pending;
    this.dead = true;
    if (p === undefined) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.reject(Object.assign(error, { reusedUntouched: this.reused && p.untouched }));
  }
}

export class Http1Client {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private closed = false;

  constructor(
    url: URL,
    private readonly maxBodyBytes: number,
  ) {
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
  }

  /**
   * POSTs `body` to `path`; rejects on a network error or timeout (code ETIMEDOUT), resolves with any
   * HTTP status. `key` names the request for settleSync (the body itself unless said).
   */
  async post(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
    timeoutMillis: number,
    key: object = body,
  ): Promise<Http1Response> {
    try {
      return await this.attempt(path, headers, body, timeoutMillis, key);
    } catch (error) {
      // A kept-alive connection the collector closed while idle: the request never reached it.
      if ((error as { reusedUntouched?: boolean }).reusedUntouched) return this.attempt(path, headers, body, timeoutMillis, key, true);
      throw error;
    }
  }

  /** At process exit: the response to the request on the wire named `key`, read synchronously (Connection.readSync). */
  settleSync(key: object, deadline: number): Http1Response | undefined {
    for (const c of this.all) if (c.pending?.key === key) return c.readSync(deadline);
    return undefined;
  }

  close(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private attempt(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
    timeoutMillis: number,
    key: object,
    fresh = false,
  ): Promise<Http1Response> {
    if (this.closed) return Promise.reject(new Http1Error('the client is closed', 'ECLOSED'));
    let connection: Connection | undefined;
    while (!fresh && (connection = this.idle.pop()) !== undefined && connection.dead);
    if (connection === undefined || connection.dead) {
      connection = new Connection(this.host, this.port, (c) => this.gone(c));
      this.all.add(connection);
    } else connection.reused = true;
    const c = connection;
    c.socket.ref();
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-length: ${body.length}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += '\r\n';
    return new Promise<Http1Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.fail(new Http1Error(`no response within ${timeoutMillis} ms`, 'ETIMEDOUT'));
        c.socket.destroy();
      }, timeoutMillis);
      c.pending = {
        reader: new ResponseReader(this.maxBodyBytes),
        resolve: (response) => {
          if (!c.dead && !this.closed) this.idle.push(c);
          resolve(response);
        },
        reject,
        timer,
        untouched: true,
        key,
      };
      c.socket.cork();
      c.socket.write(head, 'latin1');
      c.socket.write(body);
      c.socket.uncork();
    });
  }

  private gone(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
  }
}
