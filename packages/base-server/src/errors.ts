// One error family for every service. Thrown anywhere; mapped to HTTP or MCP results at one boundary.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'service_unavailable_error'
  | 'api_error';

export interface AppErrorOptions {
  status?: number;
  type?: ErrorType;
  retryable?: boolean;
  cause?: unknown;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** Safe, structured details for the client (never secrets). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: ErrorType;
  readonly retryable: boolean;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.type = options.type ?? 'api_error';
    this.retryable = options.retryable ?? false;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

type Opts = Omit<AppErrorOptions, 'status' | 'type'>;

export class BadRequestError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { ...options, status: 400, type: 'invalid_request_error' });
  }
}
export class AuthenticationError extends AppError {
  constructor(message = 'Missing or invalid API key. Send it as "Authorization: Bearer <key>".', options: Opts = {}) {
    super('invalid_api_key', message, { ...options, status: 401, type: 'authentication_error' });
  }
}
export class ForbiddenError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { ...options, status: 403, type: 'permission_error' });
  }
}
export class NotFoundError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { ...options, status: 404, type: 'not_found_error' });
  }
}
export class ConflictError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { ...options, status: 409, type: 'conflict_error' });
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message: string, options: Opts = {}) {
    super('payload_too_large', message, { ...options, status: 413, type: 'invalid_request_error' });
  }
}
export class RateLimitError extends AppError {
  constructor(message: string, retryAfterSeconds: number, options: Opts = {}) {
    super('rate_limited', message, {
      ...options,
      status: 429,
      type: 'rate_limit_error',
      retryable: true,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}
export class UpstreamError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { retryable: true, ...options, status: 502, type: 'upstream_error' });
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(code: string, message: string, options: Opts = {}) {
    super(code, message, { retryable: true, ...options, status: 503, type: 'service_unavailable_error' });
  }
}

export interface ErrorEnvelope {
  error: { type: ErrorType; code: string; message: string; details?: Record<string, unknown> };
}

/** Converts anything thrown into an AppError; unknown errors become a generic 500 without internals. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser / http-errors style errors carry a status and a safe `type`.
  if (typeof err === 'object' && err !== null && 'status' in err && typeof (err as { status: unknown }).status === 'number') {
    const e = err as { status: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') return new PayloadTooLargeError('Request body is too large.', { cause: err });
    if (e.type === 'entity.parse.failed') return new BadRequestError('invalid_json', 'Request body is not valid JSON.', { cause: err });
    if (e.status >= 400 && e.status < 500) {
      return new AppError('bad_request', 'The request could not be processed.', { status: e.status, type: 'invalid_request_error', cause: err });
    }
  }
  return new AppError('internal_error', 'An internal error occurred.', { cause: err });
}

export function errorEnvelope(err: AppError): ErrorEnvelope {
  const body: ErrorEnvelope = { error: { type: err.type, code: err.code, message: err.message } };
  if (err.details) body.error.details = err.details;
  return body;
}

/**
 * A short, clean sentence for an MCP `isError` result: the error's own message (first line, bounded),
 * never a stack trace. Tool code throws AppErrors with messages written for the calling model.
 */
export function toolErrorMessage(err: unknown): string {
  if (err instanceof AppError) return err.message;
  const raw = err instanceof Error ? err.message : String(err);
  const firstLine = raw.split('\n', 1)[0]?.trim() ?? '';
  if (!firstLine) return 'The tool failed with an internal error; the server log has the details.';
  return firstLine.length > 500 ? `${firstLine.slice(0, 497)}...` : firstLine;
}
