// Browser sign-in for services with pages: an API key entered once on /login becomes a signed,
// HttpOnly, SameSite=Strict cookie that stands in for the bearer header. The signing secret is
// derived from the configured keys, so rotating a key ends the sessions made with it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { ApiKey } from './config.js';
import type { IncomingMessage } from 'node:http';
import type { Authenticator, Principal } from './security.js';

export const SESSION_COOKIE = 'factory_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const LOGIN_STYLE =
  'body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f9fafb;color:#111827;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  'main{width:min(22rem,calc(100vw - 2rem));background:#fff;border:1px solid #e5e7eb;border-top:4px solid #2563eb;border-radius:8px;padding:1.5rem}' +
  'h1{font-size:1.1rem;margin:0 0 .25rem}p{margin:0 0 1rem;color:#6b7280}.alert{color:#b91c1c;background:#fef2f2;border-radius:6px;padding:.5rem .75rem}' +
  'label{display:block;font-weight:600;margin-bottom:.3rem}input[type=password]{box-sizing:border-box;width:100%;padding:.5rem .6rem;border:1px solid #d1d5db;border-radius:6px;font:inherit;margin-bottom:1rem}' +
  'input[type=password]:focus{outline:2px solid #2563eb;outline-offset:1px}button{width:100%;padding:.55rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit;font-weight:600;cursor:pointer}button:hover{background:#1d4ed8}';

const LOGIN_PAGE = (service: string, failed: boolean, next: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · ${service}</title><style>${LOGIN_STYLE}</style></head>
<body><main>
<h1>Sign in to ${service}</h1>
<p>Enter one of the service's API keys (API_KEYS).</p>
${failed ? '<p role="alert" class="alert">That API key is not valid.</p>' : ''}
<form method="post" action="/login">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${next.replace(/[^\w/.?=&%-]/g, '')}">
<button type="submit">Sign in</button>
</form></main></body></html>`;

const SELF = 'http://self.invalid';

/**
 * Where to go after signing in: only a path on this origin. The value is resolved the way a browser
 * resolves a Location header (WHATWG URL: `\` is `/`, tabs and newlines are dropped), so `//evil`,
 * `/\evil`, `/\t/evil` and the like resolve off-origin and fall back to `/`; what is returned is the
 * resolved path, never the raw input.
 */
function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/')) return '/';
  try {
    const url = new URL(next, SELF);
    return url.origin === SELF ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

export interface BrowserSessions {
  mount(app: Express): void;
  middleware: RequestHandler;
  /**
   * The caller's principal (bearer header first, then the session cookie), or the /login URL to redirect
   * a page view without either to; throws the AuthenticationError for anything else.
   */
  authenticate(req: IncomingMessage): Promise<Principal | { redirect: string }>;
  verify(value: string | undefined, now?: number): string | undefined;
}

export function createBrowserSessions(keys: readonly ApiKey[], auth: Authenticator, service: string): BrowserSessions {
  const secret = createHash('sha256')
    .update(keys.map((k) => `${k.name}:${k.key}`).join('\n'))
    .digest();
  const names = new Set(keys.map((k) => k.name));
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

  /** The key name a session cookie's (decoded) value was signed for, or undefined for anything else. */
  function verify(value: string | undefined, now = Date.now()): string | undefined {
    if (!value) return undefined;
    const parts = value.split('.');
    const sig = parts.pop();
    const exp = parts.pop();
    const name = parts.join('.');
    if (!name || !exp || !sig || !names.has(name) || !(Number(exp) >= now)) return undefined;
    const expected = Buffer.from(sign(`${name}.${exp}`));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given) ? name : undefined;
  }

  const cookie = (req: Request, value: string, maxAgeSeconds: number) => {
    const options: SerializeOptions = { path: '/', httpOnly: true, sameSite: 'strict', maxAge: maxAgeSeconds, secure: req.secure || req.headers['x-forwarded-proto'] === 'https' };
    return serializeCookie(SESSION_COOKIE, value, options);
  };

  function mount(app: Express): void {
    const page = (res: express.Response, status: number, failed: boolean, next: string) => {
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
      res.status(status).type('html').send(LOGIN_PAGE(service, failed, next));
    };
    app.get('/login', (req, res) => page(res, 200, false, safeNext(req.query.next)));
    app.post('/login', express.urlencoded({ extended: false, limit: 4096 }), (req, res) => {
      const body = (req.body ?? {}) as { key?: unknown; next?: unknown };
      const principal = typeof body.key === 'string' ? auth.identify(`Bearer ${body.key}`) : undefined;
      if (!principal) return page(res, 401, true, safeNext(body.next));
      const exp = Date.now() + SESSION_TTL_MS;
      const value = `${principal.keyName}.${exp}.${sign(`${principal.keyName}.${exp}`)}`;
      res.setHeader('Set-Cookie', cookie(req, value, SESSION_TTL_MS / 1000));
      res.redirect(303, safeNext(body.next));
    });
    app.post('/logout', (req, res) => {
      res.setHeader('Set-Cookie', cookie(req, '', 0));
      res.redirect(303, '/login');
    });
  }

  async function authenticate(req: IncomingMessage): Promise<Principal | { redirect: string }> {
    if (!req.headers.authorization) {
      // cookie's parse never throws: a value that is not valid percent-encoding is kept as it is, and
      // then simply does not verify (a malformed cookie is "not signed in", never a 500).
      const name = verify(parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE]);
      // The key's own principal: a session grants what its key grants (scopes included), and ends with the key.
      const principal = name ? auth.principalNamed(name) : undefined;
      if (principal) return principal;
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        return { redirect: `/login?next=${encodeURIComponent((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/')}` };
      }
    }
    return auth.authenticate(req);
  }

  const middleware: RequestHandler = (req, res, next) => {
    authenticate(req).then((who) => {
      if ('redirect' in who) return res.redirect(302, who.redirect);
      req.principal = who;
      next();
    }, next);
  };

  return { mount, middleware, authenticate, verify };
}
