// Response compression, the one path every express answer takes: gzip, br or deflate for compressible
// answers of at least `threshold` bytes (or of unknown length) when the client accepts one; never for
// SSE streams, HEAD, 204/304, `Cache-Control: no-transform` or an answer that already has a
// Content-Encoding. Compressible answers carry `Vary: Accept-Encoding` whether compressed or not.
//
// The decisions are those of the `compression` middleware (expressjs/compression 1.8) it replaces; the
// difference is cost. That middleware builds five closures, a close listener and an on-headers wrapper
// for every request, and re-applies writeHead's headers one by one — about 15 % of a small JSON
// answer's CPU. Here `writeHead`, `write` and `end` are overridden once, on the app's response
// prototype (`app.response`, express's documented extension point), and an answer below the threshold
// costs a few header reads; only a compressed answer gets a zlib stream and listeners.
import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { constants as zlibConstants, createBrotliCompress, createDeflate, createGzip } from 'node:zlib';

type Encoding = 'br' | 'gzip' | 'deflate';
type Res = ServerResponse & { req?: { method?: string; headers: { 'accept-encoding'?: string | undefined } }; [kStream]?: Transform };

const kStream = Symbol('compression stream');
// node's own methods, called with whatever arguments the caller gave.
const realWriteHead = ServerResponse.prototype.writeHead as unknown as (this: ServerResponse, status: number, ...rest: unknown[]) => ServerResponse;
const realWrite = ServerResponse.prototype.write as unknown as (this: ServerResponse, ...args: unknown[]) => boolean;
const realEnd = ServerResponse.prototype.end as unknown as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
/**
 * True while node's own write/end runs for an answer already decided uncompressed: the writeHead it
 * calls (synchronously, for implicit headers) passes straight through.
 */
let passing = false;

const PREFERENCE: readonly Encoding[] = ['br', 'gzip', 'deflate'];

/** The client's preferred encoding among ours (RFC 9110 §12.5.3 q-values; on a tie br, then gzip). */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  let best: Encoding | undefined;
  let bestQ = 0;
  let wildcard = -1;
  const seen = new Set<string>();
  for (const part of header.split(',')) {
    const [rawName = '', ...params] = part.split(';');
    const name = rawName.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q') q = Number(v?.trim() ?? '1');
    }
    if (!(q >= 0 && q <= 1)) q = 0;
    if (name === '*') wildcard = q;
    else if ((PREFERENCE as readonly string[]).includes(name)) {
      seen.add(name);
      const enc = name as Encoding;
      if (q > bestQ || (q === bestQ && q > 0 && best !== undefined && PREFERENCE.indexOf(enc) < PREFERENCE.indexOf(best))) [best, bestQ] = [enc, q];
    }
  }
  // `*` stands for every encoding not named (only br and gzip, as the middleware it replaces preferred).
  if (wildcard > bestQ) for (const enc of ['br', 'gzip'] as const) if (!seen.has(enc)) return enc;
  return best;
}

const compressibleCache = new Map<string, boolean>();
/** text/*, JSON, JavaScript, XML and SVG (mime-db's compressible types that answers use); never SSE. */
export function isCompressible(contentType: string): boolean {
  let yes = compressibleCache.get(contentType);
  if (yes !== undefined) return yes;
  const base = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  yes =
    base !== 'text/event-stream' &&
    (base.startsWith('text/') ||
      base === 'application/json' ||
      base.endsWith('+json') ||
      base.endsWith('+xml') ||
      base === 'application/xml' ||
      base === 'application/javascript' ||
      base === 'application/x-ndjson' ||
      base === 'image/svg+xml');
  if (compressibleCache.size < 256) compressibleCache.set(contentType, yes);
  return yes;
}

/** `Vary: Accept-Encoding`, added to what the answer already varies on. */
function varyOnEncoding(res: ServerResponse): void {
  const vary = res.getHeader('Vary');
  if (vary === undefined) return void res.setHeader('Vary', 'Accept-Encoding');
  const text = String(vary);
  if (text === '*' || /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(text)) return;
  res.setHeader('Vary', `${text}, Accept-Encoding`);
}

const header = (res: ServerResponse, name: string): string | undefined => {
  const v = res.getHeader(name);
  return v === undefined ? undefined : String(v);
};

/** The encoding to compress this answer with, or undefined; adds Vary to compressible answers. `length` undefined: not known yet. */
function plan(res: Res, status: number, length: number | undefined, threshold: number): Encoding | undefined {
  const req = res.req;
  if (!req || status < 200 || status === 204 || status === 304) return undefined;
  const type = header(res, 'Content-Type');
  if (type === undefined || !isCompressible(type)) return undefined;
  if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(header(res, 'Cache-Control') ?? '')) return undefined;
  varyOnEncoding(res);
  if (length !== undefined && length < threshold) return undefined;
  const encoding = header(res, 'Content-Encoding');
  if ((encoding !== undefined && encoding !== 'identity') || req.method === 'HEAD') return undefined;
  return negotiateEncoding(req.headers['accept-encoding']);
}

function contentLength(res: ServerResponse): number | undefined {
  const v = res.getHeader('Content-Length');
  return v === undefined ? undefined : Number(v);
}

/** Switches the answer to a compressing stream; the headers are written by the caller next. */
function startStream(res: Res, encoding: Encoding): Transform {
  const stream =
    encoding === 'br' ? createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }) : encoding === 'gzip' ? createGzip() : createDeflate();
  res[kStream] = stream;
  res.setHeader('Content-Encoding', encoding);
  res.removeHeader('Content-Length');
  stream.on('data', (chunk: Buffer) => {
    if (!realWrite.call(res, chunk)) stream.pause();
  });
  stream.on('end', () => realEnd.call(res));
  res.on('drain', () => stream.resume());
  stream.on('drain', () => res.emit('drain'));
  res.once('close', () => stream.destroy());
  return stream;
}

/** Headers given to writeHead(status, headers) become set headers, so the decision sees them. */
function applyHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | OutgoingHttpHeader[]): void {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as OutgoingHttpHeader);
    return;
  }
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined) res.setHeader(k, v);
  }
}

type Callback = (err?: Error | null) => void;

/** Installs compression on the answers of one express app (`app.response`). */
export function installCompression(response: object, threshold = 1024): void {
  function writeHead(this: Res, status: number, reason?: unknown, headers?: unknown): ServerResponse {
    if (passing || this[kStream] !== undefined) return realWriteHead.call(this, status, reason, headers);
    const [text, given] = typeof reason === 'string' ? [reason, headers] : [undefined, reason];
    if (given) applyHeaders(this, given as OutgoingHttpHeaders);
    const encoding = plan(this, status, contentLength(this), threshold);
    if (encoding) startStream(this, encoding);
    return text === undefined ? realWriteHead.call(this, status) : realWriteHead.call(this, status, text);
  }

  function write(this: Res, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const stream = this[kStream];
    if (stream) return stream.write(chunk, encoding as BufferEncoding, cb as Callback);
    if (!this.headersSent) {
      const enc = plan(this, this.statusCode, contentLength(this), threshold);
      if (enc) {
        const s = startStream(this, enc);
        realWriteHead.call(this, this.statusCode);
        return s.write(chunk, encoding as BufferEncoding, cb as Callback);
      }
    }
    passing = true;
    try {
      return realWrite.call(this, chunk, encoding, cb);
    } finally {
      passing = false;
    }
  }

  function end(this: Res, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
    if (typeof chunk === 'function') [chunk, encoding, cb] = [undefined, undefined, chunk];
    else if (typeof encoding === 'function') [encoding, cb] = [undefined, encoding];
    const stream = this[kStream];
    if (stream) {
      if (typeof cb === 'function') this.once('finish', cb as () => void);
      if (chunk === undefined || chunk === null) stream.end();
      else stream.end(chunk, encoding as BufferEncoding);
      return this;
    }
    if (!this.headersSent) {
      const known = contentLength(this);
      const length = known ?? (chunk === undefined || chunk === null ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding as BufferEncoding) : (chunk as Uint8Array).length);
      const enc = plan(this, this.statusCode, length, threshold);
      if (enc) {
        const s = startStream(this, enc);
        realWriteHead.call(this, this.statusCode);
        if (typeof cb === 'function') this.once('finish', cb as () => void);
        if (chunk === undefined || chunk === null) s.end();
        else s.end(chunk, encoding as BufferEncoding);
        return this;
      }
    }
    passing = true;
    try {
      return realEnd.call(this, chunk, encoding, cb);
    } finally {
      passing = false;
    }
  }

  Object.defineProperties(response, {
    writeHead: { value: writeHead, configurable: true, writable: true },
    write: { value: write, configurable: true, writable: true },
    end: { value: end, configurable: true, writable: true },
  });
}
