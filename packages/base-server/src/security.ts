// Authentication, Host/Origin validation, rate limiting and security headers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { OAuthError, OAuthErrorCode, type AuthInfo } from '@modelcontextprotocol/server';
import type { ApiKey } from './config.js';
import { AuthenticationError, ForbiddenError, RateLimitError } from './errors.js';
import { createBearerVerification, resourceMetadataUrlOf, type OAuthSettings } from './oauth.js';
import { bearerChallenge } from './scopes.js';
import type { Limiter } from './rate-limits.js';

/**
 * Who made a request: the API key's name (never the key), the access token's subject (or its client id
 * when it has none), or "anonymous" when auth is off. `scopes` lists what the caller may use; a caller
 * without a list (an API key without scopes, auth off) has full access.
 */
export interface Principal {
  keyName: string;
  authenticated: boolean;
  scopes?: readonly string[];
  /** The OAuth client the token was issued to (`client_id`/`azp`), for OAuth callers. */
  clientId?: string;
  via?: 'api_key' | 'oauth';
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
 * Bearer-token authentication: API keys from config, and OAuth access tokens when an issuer is
 * configured. Every configured key is compared (hash + timingSafeEqual) so the time taken reveals
 * neither which key matched nor how much of a key was right.
 */
export interface Authenticator {
  middleware: RequestHandler;
  /** The API key's principal for an `Authorization` header, if it carries a configured key. */
  identify(header: string | undefined): Principal | undefined;
  /** The principal of a key by its name (browser sessions remember the name only). */
  principalNamed(name: string): Principal | undefined;
  /**
   * The caller's principal, or an AuthenticationError (with its WWW-Authenticate header), a
   * RateLimitError (too many failed attempts from this address) or a 503 (authorization server down).
   */
  authenticate(req: { headers: IncomingHttpHeaders; socket?: { remoteAddress?: string | undefined } }): Promise<Principal>;
  enabled: boolean;
  /** Where clients find the protected-resource metadata (OAuth on only). */
  resourceMetadataUrl: string | undefined;
}

export interface AuthenticatorOptions {
  /** Accept OAuth access tokens from this authorization server. */
  oauth?: OAuthSettings;
  /**
   * Failed attempts allowed per client address a minute before it gets 429 (AUTH_FAILURES_PER_MINUTE;
   * shared across replicas when the limiter is); default: unlimited.
   */
  failures?: Limiter;
}

export function createAuthenticator(keys: readonly ApiKey[], realm: string, options: AuthenticatorOptions = {}): Authenticator {
  const all = keys.map((k) => ({ digest: digest(k.key), principal: principalOfKey(k) }));
  const byName = new Map(all.map((k) => [k.principal.keyName, k.principal]));
  const oauth = options.oauth;
  const verifyBearer = oauth ? createBearerVerification(oauth) : undefined;
  const resourceMetadataUrl = oauth ? resourceMetadataUrlOf(oauth.audience) : undefined;
  const enabled = keys.length > 0 || oauth !== undefined;
  const failures = options.failures;

  function identify(header: string | undefined): Principal | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    const presented = digest(header.slice(7).trim());
    let match: Principal | undefined;
    for (const k of all) {
      if (timingSafeEqual(presented, k.digest) && match === undefined) match = k.principal;
    }
    return match;
  }

  const challenge = (err: OAuthError | undefined, wrong: boolean): string =>
    oauth
      ? bearerChallenge(err ?? new OAuthError(OAuthErrorCode.InvalidToken, 'Missing Authorization header'), { resourceMetadataUrl })
      : `Bearer realm="${realm}"${wrong ? ', error="invalid_token"' : ''}`;

  const anonymous: Principal = Object.freeze({ keyName: 'anonymous', authenticated: false });
  async function authenticate(req: { headers: IncomingHttpHeaders; socket?: { remoteAddress?: string | undefined } }): Promise<Principal> {
    if (!enabled) return anonymous;
    const address = req.socket?.remoteAddress ?? 'unknown';
    // An address that failed too often is refused before its next guess is even compared.
    const blocked = failures ? await failures.blocked(address) : undefined;
    if (blocked !== undefined) throw tooManyFailures(blocked, failures?.perMinute ?? 0);
    const header = req.headers.authorization;
    const key = identify(header);
    if (key) return key;
    let oauthError: OAuthError | undefined;
    if (verifyBearer && header !== undefined) {
      try {
        return principalOfToken(await verifyBearer(header));
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        oauthError = err;
      }
    }
    await failures?.take(address);
    const message = oauthError
      ? `Missing or invalid credentials: ${oauthError.message}. Send an API key or an OAuth access token as "Authorization: Bearer <token>".`
      : undefined;
    throw new AuthenticationError(message, { headers: { 'WWW-Authenticate': challenge(oauthError, header !== undefined) } });
  }

  const middleware: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    // Without a failed-sign-in limit a configured API key is known synchronously: no promise, no extra
    // turn of the event loop. With one, whether the address is blocked is asked first (possibly of Redis,
    // shared by the replicas), so everything goes through authenticate.
    const key = !enabled ? anonymous : failures === undefined ? identify(req.headers.authorization) : undefined;
    if (key) {
      req.principal = key;
      next();
      return;
    }
    authenticate(req).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (err: unknown) => next(err),
    );
  };
  return { middleware, identify, principalNamed: (name) => byName.get(name), authenticate, enabled, resourceMetadataUrl };
}

function principalOfKey(k: ApiKey): Principal {
  return Object.freeze({ keyName: k.name, authenticated: true, via: 'api_key' as const, ...(k.scopes ? { scopes: Object.freeze([...k.scopes]) } : {}) });
}

/** An access token's caller: its subject, or for a client acting on its own behalf (no `sub`), the client id. */
function principalOfToken(info: AuthInfo): Principal {
  const subject = (info.extra?.subject as string | undefined) ?? '';
  return Object.freeze({
    keyName: subject || info.clientId || 'unknown',
    authenticated: true,
    via: 'oauth' as const,
    scopes: Object.freeze([...info.scopes]),
    ...(info.clientId ? { clientId: info.clientId } : {}),
  });
}

function tooManyFailures(waitSeconds: number, perMinute: number): RateLimitError {
  return new RateLimitError(`Too many failed authentication attempts from this address (${perMinute} a minute); retry later.`, waitSeconds);
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
