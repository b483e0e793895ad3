// Reads a request body with a size limit that holds before and after gzip: a body larger than the
// limit, or one that inflates beyond it, is refused without being held in memory whole.

import type { Readable } from 'node:stream';
import { gunzip, inflate } from 'node:zlib';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The whole body of an HTTP request (or of an HTTP/2 stream), refused with a 413 BodyError once it
 * passes `limit` bytes; `declaredLength` (a content-length header) lets an oversized body be refused
 * before any of it is read.
 */
export function readBody(request: Readable, limit: number, declaredLength?: string | undefined): Promise<Buffer> {
  const declared = Number(declaredLength);
  if (Number.isFinite(declared) && declared > limit) {
    // Drain without keeping the bytes so the connection can answer and be reused.
    request.resume();
    return Promise.reject(new BodyError(413, `request body of ${declared} bytes exceeds the ${limit}-byte limit`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(new BodyError(413, `request body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', (error) => reject(new BodyError(400, `request body could not be read: ${error.message}`)));
    request.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
  });
}

export function decompress(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const coding = (encoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return Promise.resolve(body);
  if (coding !== 'gzip' && coding !== 'deflate') {
    return Promise.reject(new BodyError(415, `content-encoding "${coding}" is not supported (use gzip or none)`));
  }
  const fn = coding === 'gzip' ? gunzip : inflate;
  return new Promise((resolve, reject) => {
    fn(body, { maxOutputLength: limit }, (error, result) => {
      if (!error) return resolve(result);
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new BodyError(413, `${coding} body inflates beyond the ${limit}-byte limit`));
      } else reject(new BodyError(400, `${coding} body is corrupt or truncated: ${error.message}`));
    });
  });
}
