// The request pipeline for the routes a service declares (REST routes and POST /mcp): reading JSON
// bodies, sending JSON answers, turning errors into the envelope, and matching paths. It runs on plain
// node:http objects, so declared routes are served without express's per-request layers; express serves
// everything else (pages, /login, /metrics) through the same functions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate, gzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Logger } from './logger.js';
import { AppError, BadRequestError, PayloadTooLargeError, errorEnvelope, toAppError } from './errors.js';

/** application/json or application/*+json, parsed cheaply (type-is' mime lookups cost on every request). */
export function isJsonRequest(req: { headers: { 'content-type'?: string | undefined } }): boolean {
  const type = req.headers['content-type'];
  if (!type) return false;
  const base = (type.split(';', 1)[0] ?? '').trim().toLowerCase();
  return base === 'application/json' || (base.startsWith('application/') && base.endsWith('+json'));
}

const unsupported = (code: string, message: string) => new AppError(code, message, { status: 415, type: 'invalid_request_error' });

function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw unsupported('unsupported_encoding', `Content-Encoding "${encoding}" is not supported: send identity, gzip, deflate or br.`);
  }
}

/**
 * Reads and parses a JSON request body of at most `limit` bytes (after decompression). Resolves
 * undefined when there is no body or it is not JSON (the route's schema then says what is missing).
 * Only an object or an array is accepted at the top level.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) return undefined;
  if (!isJsonRequest(req)) return undefined;
  const charset = /;\s*charset=["']?([^"';\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupported('unsupported_charset', `Charset "${charset}" is not supported: send JSON as UTF-8.`);
  }
  if (length !== undefined && Number(length) > limit) throw new PayloadTooLargeError('Request body is too large.');
  const stream = decoded(req);
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: unknown) => {
      if (stream !== req) stream.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.removeAllListeners('data');
        fail(new PayloadTooLargeError('Request body is too large.'));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    stream.once('error', (err) => fail(stream === req ? err : new BadRequestError('invalid_encoding', 'Request body could not be decompressed.', { cause: err })));
    req.once('aborted', () => fail(new BadRequestError('request_aborted', 'The request was aborted before its body arrived.')));
  });
  const trimmed = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (trimmed.trim() === '') return undefined;
  const first = trimmed.trimStart()[0];
  if (first !== '{' && first !== '[') throw new BadRequestError('invalid_json', 'Request body is not valid JSON.');
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (err) {
    throw new BadRequestError('invalid_json', 'Request body is not valid JSON.', { cause: err });
  }
}

const COMPRESS_ABOVE_BYTES = 1024;

/**
 * Sends a body (a string or bytes, with its content type). Bodies over 1 KiB are gzipped, off the event
 * loop, for clients that accept it.
 */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, body: string | Buffer, contentType: string): void {
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', contentType);
  res.statusCode = status;
  const head = req.method === 'HEAD';
  const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (bytes > COMPRESS_ABOVE_BYTES && !res.hasHeader('Content-Encoding')) {
    res.setHeader('Vary', 'Accept-Encoding');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      gzip(body, (err, zipped) => {
        if (err) {
          res.setHeader('Content-Length', bytes);
          res.end(head ? undefined : body);
          return;
        }
        res.setHeader('Content-Encoding', 'gzip');
        res.setHeader('Content-Length', zipped.length);
        res.end(head ? undefined : zipped);
      });
      return;
    }
  }
  res.setHeader('Content-Length', bytes);
  res.end(head ? undefined : body);
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  sendBody(req, res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** The one place where errors become responses: the envelope, the error's headers, a log line for 5xx. */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, logger: Logger): void {
  const appErr = toAppError(err);
  if (appErr.status >= 500) logger.error({ err }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [h, v] of Object.entries(appErr.headers)) res.setHeader(h, v);
  sendJson(req, res, appErr.status, errorEnvelope(appErr));
}

/**
 * Compiles an express-style path (`/v1/agents/:agentId/turns`, `/badges/:name.svg`) into a matcher
 * with express's defaults: case-insensitive, an optional trailing slash, percent-decoded parameters.
 * Returns the params, undefined when the path does not match; a parameter that is not valid
 * percent-encoding is a 400.
 */
export function compilePath(path: string): (pathname: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = path
    .split(/(:[A-Za-z0-9_]+)/)
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+?)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const re = new RegExp(`^${pattern.replace(/\/$/, '')}\\/?$`, 'i');
  return (pathname) => {
    const m = re.exec(pathname);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      const raw = m[i + 1] ?? '';
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        throw new BadRequestError('invalid_path', `Path parameter ${name} is not valid percent-encoding: "${raw}".`);
      }
    });
    return params;
  };
}
