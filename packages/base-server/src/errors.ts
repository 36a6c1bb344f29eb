// One error family for every service. Thrown anywhere; mapped to HTTP or MCP results at one boundary.
import { DeadlineExceeded } from './clients/deadline.js';

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

/** The dependencies whose outages have a name of their own on the wire. */
export type Dependency = 'database' | 'redis';

const DEPENDENCY = Symbol.for('factory.dependency');

/**
 * Records which dependency an error came from; the client factories (createDatabase, createRedis's
 * callers) call it so the error boundary can name the dependency. Returns the same error.
 */
export function markDependency<E>(err: E, dependency: Dependency): E {
  if (typeof err === 'object' && err !== null && !(DEPENDENCY in err)) {
    Object.defineProperty(err, DEPENDENCY, { value: dependency, enumerable: false });
  }
  return err;
}

// Network failures (a dependency down, refusing or unreachable), as node reports them.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
// Postgres SQLSTATEs of an outage: class 08 (connection exception), 53 (insufficient resources: too many
// connections, out of memory, disk full), 57P01-57P03 (shutting down, cannot connect now), 57014
// (statement cancelled by statement_timeout: the database did not answer in time).
const PG_OUTAGE = /^(08...|53...|57P0[123]|57014)$/;
// pg and pg-pool's own messages for a dead connection, an acquire timeout and a client-side query timeout.
const PG_MESSAGES = /^(timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable)/;
// ioredis's messages for a command that timed out or could not be sent while the connection is down.
const REDIS_MESSAGES = /^(Command timed out|Stream isn't writeable|Connection is closed|Reached the max retries per request limit)/;

/** Which dependency is down, when `err` (or an error in its cause chain) is an outage: down, refusing, timing out. */
export function outageOf(err: unknown): Dependency | 'dependency' | undefined {
  let marked: Dependency | undefined;
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    marked ??= (e as { [DEPENDENCY]?: Dependency })[DEPENDENCY];
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : '';
    if (typeof code === 'string' && PG_OUTAGE.test(code) && 'severity' in e) return marked ?? 'database';
    if (PG_MESSAGES.test(message)) return marked ?? 'database';
    if (REDIS_MESSAGES.test(message) || (e as Error).name === 'MaxRetriesPerRequestError') return marked ?? 'redis';
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return marked ?? 'dependency';
    // A dependency that did not answer within its bound (withDeadline) is down as far as this call goes.
    if (e instanceof DeadlineExceeded) return marked ?? 'dependency';
  }
  return undefined;
}

const OUTAGE_MESSAGES: Record<Dependency | 'dependency', string> = {
  database: 'Database unavailable, retry shortly.',
  redis: 'Redis unavailable, retry shortly.',
  dependency: 'A service this server depends on is unavailable, retry shortly.',
};

/** A 503 naming the dependency that is down: retryable, with Retry-After; never its host, port or driver text. */
export function dependencyUnavailable(dependency: Dependency | 'dependency', cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(`${dependency}_unavailable`, OUTAGE_MESSAGES[dependency], { cause, headers: { 'Retry-After': '5' } });
}

/**
 * Converts anything thrown into an AppError: an outage of a dependency becomes a 503 naming it; other
 * unknown errors become a generic 500 without internals.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const outage = outageOf(err);
  if (outage) return dependencyUnavailable(outage, err);
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
  // An outage reads the same as over REST; driver text (host:port, SQL) never reaches the model.
  // A call that outlived its bound reads as its own sentence ("observability-mcp did not answer within
  // 5000 ms") unless it was marked as Postgres's or Redis's.
  const outage = outageOf(err);
  if (outage && !(outage === 'dependency' && err instanceof DeadlineExceeded)) return dependencyUnavailable(outage).message;
  // A database error that is not an outage is the server's problem, not the caller's: no Postgres text.
  if (typeof err === 'object' && err !== null && 'severity' in err && 'code' in err) return 'The tool failed with an internal error; the server log has the details.';
  const raw = err instanceof Error ? err.message : String(err);
  const firstLine = raw.split('\n', 1)[0]?.trim() ?? '';
  if (!firstLine) return 'The tool failed with an internal error; the server log has the details.';
  return firstLine.length > 500 ? `${firstLine.slice(0, 497)}...` : firstLine;
}
