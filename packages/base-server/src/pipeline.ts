// The pieces of the one request chain (service.ts) that more than one route uses: JSON body parsing with
// its limits, sending answers, and turning errors into the REST envelope — or, on /mcp, into a JSON-RPC
// error body. Everything here runs inside express; nothing answers HTTP on a second path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Logger } from './logger.js';
import { AppError, BadRequestError, PayloadTooLargeError, errorEnvelope, toAppError } from './errors.js';
import { isUnexpectedError, reportError } from './error-tracking.js';

/** application/json or application/*+json, parsed cheaply (type-is' mime lookups cost on every request). */
export function isJsonRequest(req: { headers: { 'content-type'?: string | undefined } }): boolean {
  const type = req.headers['content-type'];
  if (!type) return false;
  const base = (type.split(';', 1)[0] ?? '').trim().toLowerCase();
  return base === 'application/json' || (base.startsWith('application/') && base.endsWith('+json'));
}

/** Nesting deeper than this is refused before JSON.parse runs, so no recursive walk can overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of objects/arrays in a JSON text, stopping as soon as it passes `limit`. A linear
 * byte scan that skips string contents (including escaped quotes).
 */
export function jsonDepthExceeds(buf: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

class JsonTooDeepError extends BadRequestError {
  constructor() {
    super('json_too_deep', `Request body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; flatten it.`);
  }
}

/**
 * The JSON body parser of every route (REST and /mcp): at most `limit` bytes after decompression
 * (identity, gzip, deflate, br), UTF-8 only, an object or array at the top level, nesting bounded.
 */
export function jsonBody(limit: number): RequestHandler {
  return express.json({
    limit,
    type: isJsonRequest,
    strict: true,
    verify: (_req, _res, buf) => {
      // body-parser wraps what verify throws (and would restamp an AppError's status), so a plain
      // error with our own `type` goes through and httpLayerError turns it into the 400.
      if (jsonDepthExceeds(buf, MAX_JSON_DEPTH)) throw Object.assign(new Error('JSON nested too deep'), { type: 'entity.too.deep' });
    },
  });
}

/**
 * body-parser's and the router's errors (http-errors with a `type`) as AppErrors with our codes and
 * messages; anything else is left to toAppError.
 */
export function httpLayerError(err: unknown): unknown {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return err;
  const e = err as { status?: unknown; type?: unknown; charset?: unknown; encoding?: unknown };
  if (typeof e.status !== 'number') return err;
  switch (e.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('Request body is too large.', { cause: err });
    case 'entity.parse.failed':
      return new BadRequestError('invalid_json', 'Request body is not valid JSON.', { cause: err });
    case 'entity.too.deep':
      return new JsonTooDeepError();
    case 'charset.unsupported':
      return new AppError('unsupported_charset', `Charset "${String(e.charset)}" is not supported: send JSON as UTF-8.`, { status: 415, type: 'invalid_request_error', cause: err });
    case 'encoding.unsupported':
      return new AppError('unsupported_encoding', `Content-Encoding "${String(e.encoding)}" is not supported: send identity, gzip, deflate or br.`, {
        status: 415,
        type: 'invalid_request_error',
        cause: err,
      });
    case 'request.aborted':
      return new BadRequestError('request_aborted', 'The request was aborted before its body arrived.', { cause: err });
    default:
      if (err instanceof URIError && e.status === 400) return new BadRequestError('invalid_path', 'A path parameter is not valid percent-encoding.', { cause: err });
      return err;
  }
}

/** Sends a body (a string or bytes, with its content type); the compression middleware gzips large ones. */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, body: string | Buffer, contentType: string): void {
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', contentType);
  res.statusCode = status;
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  sendBody(req, res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/**
 * The JSON-RPC error code for an HTTP-level refusal on /mcp, as the SDK's own transport uses them:
 * -32700 for a body that is not JSON, -32600 for one that is not a usable message, -32000 otherwise.
 */
function jsonRpcCode(err: AppError): number {
  if (err.code === 'invalid_json') return -32700;
  if (err.code === 'json_too_deep') return -32600;
  return -32000;
}

/** The JSON-RPC id of the request in a parsed /mcp body, when there is exactly one. */
function jsonRpcIdOf(body: unknown): string | number | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** The one place where errors become responses: the error's headers, a log line for 5xx, then the body. */
export function sendError(req: IncomingMessage & { body?: unknown }, res: ServerResponse, err: unknown, logger: Logger, jsonRpc = false): void {
  const appErr = toAppError(httpLayerError(err));
  if (appErr.status >= 500) {
    logger.error({ err }, 'request failed');
    // Error tracking gets the 5xx that are bugs, never outages (see error-tracking.ts).
    if (isUnexpectedError(appErr)) {
      const { requestId, principal } = req as { requestId?: string; principal?: { keyName: string; authenticated: boolean } };
      reportError(err, { requestId, method: req.method, path: req.url?.split('?', 1)[0], principal: principal?.authenticated ? principal.keyName : undefined });
    }
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [h, v] of Object.entries(appErr.headers)) res.setHeader(h, v);
  if (!jsonRpc) return sendJson(req, res, appErr.status, errorEnvelope(appErr));
  // On /mcp every refusal is a JSON-RPC error body; the REST code stays readable in `data`.
  sendJson(req, res, appErr.status, {
    jsonrpc: '2.0',
    id: jsonRpcIdOf(req.body),
    error: {
      code: jsonRpcCode(appErr),
      // The SDK's own wording for a body that is not JSON (createMcpHandler's classification step).
      message: appErr.code === 'invalid_json' ? 'Parse error: the request body is not valid JSON' : appErr.message,
      data: { type: appErr.type, code: appErr.code },
    },
  });
}
