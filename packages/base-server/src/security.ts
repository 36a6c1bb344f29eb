// Authentication, Host/Origin validation, rate limiting and security headers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApiKey } from './config.js';
import { AuthenticationError, ForbiddenError, RateLimitError } from './errors.js';

/** Who made a request: the API key's name (never the key), or "anonymous" when auth is off. */
export interface Principal {
  keyName: string;
  authenticated: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
      requestId?: string;
      /** A child logger bound to this request's id (created on first use). */
      log: Logger;
    }
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token authentication. Every configured key is compared (hash + timingSafeEqual) so the time
 * taken reveals neither which key matched nor how much of a key was right.
 */
export interface Authenticator {
  middleware: RequestHandler;
  identify(header: string | undefined): Principal | undefined;
  /** The caller's principal, or an AuthenticationError (with its WWW-Authenticate header) to throw. */
  authenticate(headers: IncomingHttpHeaders): Principal;
  enabled: boolean;
}

export function createAuthenticator(keys: readonly ApiKey[], realm: string): Authenticator {
  const all = keys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  const enabled = keys.length > 0;

  function identify(header: string | undefined): Principal | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    const presented = digest(header.slice(7).trim());
    let match: string | undefined;
    for (const k of all) {
      if (timingSafeEqual(presented, k.digest) && match === undefined) match = k.name;
    }
    return match === undefined ? undefined : { keyName: match, authenticated: true };
  }

  const anonymous: Principal = Object.freeze({ keyName: 'anonymous', authenticated: false });
  function authenticate(headers: IncomingHttpHeaders): Principal {
    if (!enabled) return anonymous;
    const principal = identify(headers.authorization);
    if (principal) return principal;
    const wrong = headers.authorization !== undefined;
    throw new AuthenticationError(undefined, { headers: { 'WWW-Authenticate': `Bearer realm="${realm}"${wrong ? ', error="invalid_token"' : ''}` } });
  }

  const middleware: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    try {
      req.principal = authenticate(req.headers);
      next();
    } catch (err) {
      next(err);
    }
  };
  return { middleware, identify, authenticate, enabled };
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

function hostnameOf(hostHeader: string): string {
  // "[::1]:3000" -> "[::1]"; "example.com:443" -> "example.com"
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1).toLowerCase();
  const colon = hostHeader.lastIndexOf(':');
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/**
 * DNS-rebinding and cross-site protection: the Host header must name an allowed host (default: loopback
 * names only), and a browser's Origin, when present, must be allowed (default: loopback origins only)
 * or be the request's own origin. Requests without Origin (non-browser clients) pass. `*` in a list
 * allows everything.
 */
export function createHostOriginGuard(allowedHosts: readonly string[], allowedOrigins: readonly string[]): RequestHandler {
  const check = createHostOriginCheck(allowedHosts, allowedOrigins);
  return (req, _res, next) => next(check(req.headers));
}

/**
 * Whether a browser request comes from a page of the origin it is sent to. The browser's own
 * `Sec-Fetch-Site` (a header page scripts cannot set; Fetch Metadata, https://www.w3.org/TR/fetch-metadata/)
 * decides when present — it is `same-origin` even where the Origin header is serialised as `null`.
 * Without it, the Origin's host must equal the Host the request was sent to (already checked against
 * ALLOWED_HOSTS, so a rebound DNS name never gets this far).
 */
function isSameOrigin(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const { origin, host } = headers;
  if (!origin || !host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/** The guard's rule as a function: the ForbiddenError to answer with, or undefined when allowed. */
export function createHostOriginCheck(allowedHosts: readonly string[], allowedOrigins: readonly string[]): (headers: IncomingHttpHeaders) => ForbiddenError | undefined {
  const hosts = new Set((allowedHosts.length ? allowedHosts : LOOPBACK_HOSTS).map((h) => h.toLowerCase()));
  const anyHost = hosts.has('*');
  const origins = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const anyOrigin = origins.has('*');

  const originAllowed = (origin: string): boolean => {
    if (anyOrigin) return true;
    const o = origin.toLowerCase();
    if (origins.size > 0) return origins.has(o);
    try {
      const url = new URL(o);
      return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.includes(url.hostname);
    } catch {
      return false;
    }
  };

  return (headers) => {
    const host = headers.host;
    if (!anyHost && (!host || !(hosts.has(host.toLowerCase()) || hosts.has(hostnameOf(host))))) {
      return new ForbiddenError('host_not_allowed', `Host "${host ?? ''}" is not allowed. Add it to ALLOWED_HOSTS.`);
    }
    const origin = headers.origin;
    if (origin !== undefined && !originAllowed(origin) && !isSameOrigin(headers)) {
      return new ForbiddenError('origin_not_allowed', `Origin "${origin}" is not allowed. Add it to ALLOWED_ORIGINS.`);
    }
    return undefined;
  };
}

/**
 * A token bucket per API key: `perMinute` requests a minute with bursts up to the same number.
 * In memory, per replica; 0 disables it.
 */
export function createRateLimiter(perMinute: number, now: () => number = Date.now): RequestHandler {
  const take = createRateLimit(perMinute, now);
  return (req, res, next) => next(take(req.principal, res));
}

/**
 * The limiter as a function: takes one token for the principal's key and sets the RateLimit headers,
 * or returns the RateLimitError to answer with.
 */
export function createRateLimit(perMinute: number, now: () => number = Date.now): (principal: Principal | undefined, res: ServerResponse) => RateLimitError | undefined {
  const buckets = new Map<string, { tokens: number; updated: number }>();
  const refillPerMs = perMinute / 60_000;
  let lastSweep = now();
  return (principal, res) => {
    if (perMinute <= 0) return undefined;
    const key = principal?.keyName ?? 'anonymous';
    const t = now();
    if (t - lastSweep > 60_000) {
      // Full buckets carry no information; drop them so the map stays bounded.
      for (const [k, b] of buckets) if (b.tokens + (t - b.updated) * refillPerMs >= perMinute) buckets.delete(k);
      lastSweep = t;
    }
    const bucket = buckets.get(key) ?? { tokens: perMinute, updated: t };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.updated) * refillPerMs);
    bucket.updated = t;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const waitSeconds = (1 - bucket.tokens) / refillPerMs / 1000;
      return new RateLimitError(`Rate limit of ${perMinute} requests per minute exceeded for this API key; retry later.`, waitSeconds);
    }
    bucket.tokens -= 1;
    res.setHeader('RateLimit-Limit', String(perMinute));
    res.setHeader('RateLimit-Remaining', String(Math.floor(bucket.tokens)));
    return undefined;
  };
}

/**
 * Headers every response carries. Pages that need more (the dashboard) set their own CSP.
 * `Referrer-Policy: same-origin` sends nothing to other sites, but keeps a same-origin form post's
 * Origin header real: under `no-referrer` Chromium posts forms with `Origin: null`.
 */
export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
];

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
