import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { z, BadRequestError, parseConfig, baseConfigSchema, createService, ConfigError } from '../src/index.js';
import { makeService, request, auth, KEY, OTHER_KEY } from './helpers.js';

describe('HTTP contract, security and errors', () => {
  const { service, logs } = makeService(
    {
      routes: (api) => {
        api.route({
          method: 'post',
          path: '/v1/things/:id',
          summary: 'Create a thing',
          params: z.object({ id: z.string().regex(/^[a-z]+$/) }),
          body: z.object({ size: z.number().int().positive() }),
          response: z.object({ id: z.string(), size: z.number() }),
          status: 201,
          handler: async ({ params, body }) => ({ id: params.id, size: body.size }),
        });
        api.route({
          method: 'get',
          path: '/v1/big',
          summary: 'A large JSON answer',
          response: z.object({ items: z.array(z.string()) }),
          handler: async () => ({ items: Array.from({ length: 500 }, (_, i) => `item-${i}`) }),
        });
        api.route({
          method: 'get',
          path: '/v1/broken',
          summary: 'Always fails',
          handler: async () => {
            throw new Error('db password=hunter2 leaked?');
          },
        });
        api.route({
          method: 'get',
          path: '/v1/bad',
          summary: 'Rejects',
          handler: async () => {
            throw new BadRequestError('agent_id_invalid', 'agent_id must be 1-64 characters of [A-Za-z0-9_-].');
          },
        });
      },
    },
    { BODY_LIMIT_BYTES: '2048', METRICS_TOKEN: 'metrics-token-0123456789' },
  );
  let url = '';
  beforeAll(async () => {
    url = (await service.start()).url;
  });
  afterAll(async () => {
    await service.stop();
  });

  it('GET /health is 200 with exactly status, service, version and timestamp, without auth', async () => {
    const res = await request(`${url}/health`);
    expect(res.status).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['status', 'service', 'version', 'timestamp']);
    expect(body).toMatchObject({ status: 'ok', service: 'test-svc', version: '9.9.9' });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  });

  it('requires a bearer key everywhere else: 401 with WWW-Authenticate and the error envelope', async () => {
    const missing = await request(`${url}/v1/big`);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="test-svc"');
    expect(missing.json()).toEqual({
      error: { type: 'authentication_error', code: 'invalid_api_key', message: expect.stringContaining('Authorization: Bearer') },
    });
    const wrong = await request(`${url}/v1/big`, { headers: auth('not-the-right-key-000000') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="test-svc", error="invalid_token"');
    expect((await request(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
  });

  it('rejects a Host header that is not allowed (DNS rebinding) with 403', async () => {
    const res = await request(`${url}/v1/big`, { headers: { ...auth(), Host: 'evil.example.com' } });
    expect(res.status).toBe(403);
    expect(res.json().error).toMatchObject({ type: 'permission_error', code: 'host_not_allowed' });
  });

  it('rejects a browser Origin that is not allowed, and accepts a loopback one or none', async () => {
    const evil = await request(`${url}/v1/big`, { headers: { ...auth(), Origin: 'https://evil.example.com' } });
    expect(evil.status).toBe(403);
    expect(evil.json().error.code).toBe('origin_not_allowed');
    expect((await request(`${url}/v1/big`, { headers: { ...auth(OTHER_KEY), Origin: 'http://localhost:6274' } })).status).toBe(200);
  });

  it('validates bodies and params from zod schemas with a message that says what to fix', async () => {
    const ok = await request(`${url}/v1/things/abc`, { method: 'POST', headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' }, body: '{"size":3}' });
    expect(ok.status).toBe(201);
    expect(ok.json()).toEqual({ id: 'abc', size: 3 });
    const bad = await request(`${url}/v1/things/ABC`, { method: 'POST', headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' }, body: '{"size":-1}' });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ type: 'invalid_request_error', code: 'validation_failed' });
    expect(bad.json().error.message).toContain('body.size');
  });

  it('refuses nesting deeper than 64 levels with a 400 envelope before parsing (no stack overflow, no 500)', async () => {
    const deep = `{"size":${'['.repeat(100)}${']'.repeat(100)}}`;
    const res = await request(`${url}/v1/things/abc`, { method: 'POST', headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' }, body: deep });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ type: 'invalid_request_error', code: 'json_too_deep', message: expect.stringContaining('64 levels') });
    // Brackets inside strings are data, not nesting.
    const inString = await request(`${url}/v1/things/abc`, {
      method: 'POST',
      headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ size: 3, note: `${'['.repeat(100)}"${'{'.repeat(100)}` }),
    });
    expect(inString.status).toBe(201);
  });

  it('keeps answers out of caches by default and query strings out of the access log', async () => {
    const res = await request(`${url}/v1/big?q=secret-search-term`, { headers: auth(OTHER_KEY) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const line = logs.lines().find((l) => l.msg === 'request completed' && String((l.req as { url: string }).url).startsWith('/v1/big'));
    expect(line).toBeDefined();
    expect(logs.text()).not.toContain('secret-search-term');
  });

  it('answers malformed JSON with a 400 envelope', async () => {
    const res = await request(`${url}/v1/things/abc`, { method: 'POST', headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' }, body: '{"size":' });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: { type: 'invalid_request_error', code: 'invalid_json', message: 'Request body is not valid JSON.' } });
  });

  it('answers a body over the limit with a 413 envelope', async () => {
    const res = await request(`${url}/v1/things/abc`, {
      method: 'POST',
      headers: { ...auth(OTHER_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ size: 1, pad: 'x'.repeat(4096) }),
    });
    expect(res.status).toBe(413);
    expect(res.json().error).toMatchObject({ type: 'invalid_request_error', code: 'payload_too_large' });
  });

  it('answers an unknown route with a 404 envelope', async () => {
    const res = await request(`${url}/v1/nope`, { headers: auth(OTHER_KEY) });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: { type: 'not_found_error', code: 'route_not_found', message: 'No route for GET /v1/nope.' } });
  });

  it('maps AppErrors at one boundary and hides internal errors behind a generic 500', async () => {
    const bad = await request(`${url}/v1/bad`, { headers: auth(OTHER_KEY) });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('agent_id_invalid');
    const broken = await request(`${url}/v1/broken`, { headers: auth(OTHER_KEY) });
    expect(broken.status).toBe(500);
    expect(broken.json()).toEqual({ error: { type: 'api_error', code: 'internal_error', message: 'An internal error occurred.' } });
    expect(broken.text).not.toContain('hunter2');
    expect(broken.text).not.toContain(' at ');
  });

  it('sets the security headers and a request id on every answer, /health included, and no x-powered-by', async () => {
    const answers = [
      await request(`${url}/v1/nope`, { headers: auth(OTHER_KEY) }),
      await request(`${url}/health`),
      await request(`${url}/ready`),
      await request(`${url}/v1/nope`),
      await request(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    ];
    for (const res of answers) {
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('refuses a request with two Host headers (400), whichever of them is allowed', async () => {
    const { connect } = await import('node:net');
    const { port } = new URL(url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /v1/nope HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nAuthorization: Bearer ${OTHER_KEY}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('"code":"duplicate_host"');
  });

  it('echoes x-request-id or generates one', async () => {
    const given = await request(`${url}/v1/nope`, { headers: { ...auth(OTHER_KEY), 'x-request-id': 'req-abc.123' } });
    expect(given.headers['x-request-id']).toBe('req-abc.123');
    const generated = await request(`${url}/v1/nope`, { headers: { ...auth(OTHER_KEY), 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps one request-id rule on /health and on routes: a well-formed id is echoed, a bad or doubled one replaced', async () => {
    const { connect } = await import('node:net');
    const { port } = new URL(url);
    const rawGet = (path: string, extra: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${OTHER_KEY}\r\n${extra}Connection: close\r\n\r\n`);
        });
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
    const idOf = (raw: string) => /\r\nx-request-id: ([^\r]*)\r\n/i.exec(raw)?.[1];
    for (const path of ['/health', '/v1/nope']) {
      expect(idOf(await rawGet(path, 'X-Request-Id: req-abc.123\r\n'))).toBe('req-abc.123');
      expect(idOf(await rawGet(path, 'x-request-id: bad id\r\n'))).toMatch(/^[0-9a-f-]{36}$/);
      expect(idOf(await rawGet(path, 'x-request-id: one\r\nX-Request-ID: two\r\n'))).toMatch(/^[0-9a-f-]{36}$/);
    }
    const health = await rawGet('/health', '');
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
    expect(health).toContain('\r\nX-Content-Type-Options: nosniff\r\n');
    expect(health).toContain('\r\nCache-Control: no-store\r\n');
  });

  it('compresses large JSON for clients that accept gzip', async () => {
    const res = await request(`${url}/v1/big`, { headers: { ...auth(OTHER_KEY), 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await request(`${url}/openapi.json`, { headers: auth(OTHER_KEY) });
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/v1/things/{id}'].post;
    expect(op.summary).toBe('Create a thing');
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(op.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', required: ['size'] });
    expect(op.responses['201'].content['application/json'].schema).toMatchObject({ properties: { id: { type: 'string' } } });
  });

  it('serves /metrics with the scrape token or an API key, never anonymously', async () => {
    expect((await request(`${url}/metrics`)).status).toBe(401);
    const res = await request(`${url}/metrics`, { headers: auth('metrics-token-0123456789') });
    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/things\/:id"[^}]*status="201"/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('never writes the API key or authorization header into the logs, and does not log /health or /ready at info', async () => {
    await request(`${url}/ready`);
    await request(`${url}/health`);
    const text = logs.text();
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(OTHER_KEY);
    const lines = logs.lines();
    const requestLines = lines.filter((l) => l.req !== undefined);
    expect(requestLines.length).toBeGreaterThan(0);
    expect(requestLines.some((l) => (l.req as { url: string }).url === '/ready' || (l.req as { url: string }).url === '/health')).toBe(false);
  });

});

describe('rate limiting', () => {
  it('rate-limits per key with 429 and Retry-After, without affecting other keys', async () => {
    const { service } = makeService({}, { RATE_LIMIT_PER_MINUTE: '5' });
    const { url } = await service.start();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await request(`${url}/v1/nope`, { headers: auth(KEY) })).status);
      expect(statuses.slice(0, 4)).toEqual([404, 404, 404, 404]);
      expect(statuses.at(-1)).toBe(429);
      const limited = await request(`${url}/v1/nope`, { headers: auth(KEY) });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.json().error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
      expect((await request(`${url}/v1/nope`, { headers: auth(OTHER_KEY) })).status).toBe(404);
      expect((await request(`${url}/health`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe('auth defaults', () => {
  it('refuses to build a service bound to a non-loopback address without API keys', () => {
    const config = parseConfig(baseConfigSchema, { HOST: '0.0.0.0' });
    expect(() => createService({ name: 'x', version: '1', config })).toThrow(ConfigError);
    expect(() => createService({ name: 'x', version: '1', config })).toThrow(/API_KEYS: required when HOST is 0.0.0.0/);
  });

  it('serves loopback without keys when none are configured, and logs loudly that auth is off', async () => {
    const { service, logs } = makeService({}, { API_KEYS: '' });
    const { url } = await service.start();
    try {
      expect((await request(`${url}/v1/nope`)).status).toBe(404);
      expect(logs.lines().some((l) => l.level === 'warn' && String(l.msg).includes('AUTH IS OFF'))).toBe(true);
    } finally {
      await service.stop();
    }
  });

  it('accepts gzip request bodies only as JSON it can parse (never a crash)', async () => {
    const { service } = makeService({}, { API_KEYS: '' });
    const { url } = await service.start();
    try {
      const res = await request(`${url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', accept: 'application/json, text/event-stream' },
        body: gzipSync('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'),
      });
      expect(res.status).toBe(200);
      expect(res.json().result.tools.length).toBe(2);
    } finally {
      await service.stop();
    }
  });
});

describe('public routes and browser sign-in', () => {
  const { service } = makeService(
    {
      browserLogin: true,
      routes: (api) => {
        api.route({ method: 'get', path: '/badge.svg', summary: 'A public badge', public: true, handler: async () => ({ public: true }) });
        api.route({ method: 'get', path: '/dashboard', summary: 'A page', handler: async (_input, req) => ({ who: req.principal?.keyName }) });
      },
    },
    {},
  );
  let url = '';
  beforeAll(async () => {
    url = (await service.start()).url;
  });
  afterAll(async () => {
    await service.stop();
  });

  it('serves a route declared public without a key, and documents it without security', async () => {
    expect((await request(`${url}/badge.svg`)).json()).toEqual({ public: true });
    const doc = (await request(`${url}/openapi.json`, { headers: auth() })).json();
    expect(doc.paths['/badge.svg'].get.security).toEqual([]);
    expect(doc.paths['/dashboard'].get.security).toEqual([{ bearerAuth: [] }]);
  });

  it('sends a browser without a session to /login and back after a valid key, via an HttpOnly SameSite cookie', async () => {
    const page = await request(`${url}/dashboard`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/login?next=%2Fdashboard');
    expect((await request(`${url}/login`)).text).toContain('<form method="post" action="/login">');

    const wrong = await request(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=nope&next=%2Fdashboard' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const ok = await request(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${encodeURIComponent(KEY)}&next=%2Fdashboard`,
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/dashboard');
    const cookie = ok.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^factory_session=tester\.\d+\./);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain(KEY);

    const session = cookie.split(';')[0] ?? '';
    const after = await request(`${url}/dashboard`, { headers: { accept: 'text/html', cookie: session } });
    expect(after.status).toBe(200);
    expect(after.json()).toEqual({ who: 'tester' });
  });

  it('rejects a forged or tampered session cookie', async () => {
    const forged = `factory_session=${encodeURIComponent(`tester.${Date.now() + 60_000}.AAAA`)}`;
    expect((await request(`${url}/dashboard`, { headers: { cookie: forged } })).status).toBe(401);
    const offSite = await request(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example.com' },
      body: `key=${encodeURIComponent(KEY)}`,
    });
    expect(offSite.status).toBe(403);
  });

  it('treats a malformed session cookie as not signed in: a redirect to /login or a 401, never a 500', async () => {
    for (const cookie of ['factory_session=%', 'factory_session=%E0%A4%A', 'factory_session="', 'factory_session', '=;;=%', `factory_session=${'.'.repeat(40)}`]) {
      const page = await request(`${url}/dashboard`, { headers: { accept: 'text/html', cookie } });
      expect([cookie, page.status, page.headers.location]).toEqual([cookie, 302, '/login?next=%2Fdashboard']);
      const api = await request(`${url}/dashboard`, { headers: { cookie } });
      expect([cookie, api.status]).toEqual([cookie, 401]);
    }
  });

  it('follows next= after sign-in only to a path on this origin', async () => {
    const signIn = (next: string) =>
      request(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key: KEY, next }).toString(),
      });
    for (const next of ['/\\evil.example', '//evil.example', '/\t/evil.example', '/\n/evil.example', '\\/evil.example', 'https://evil.example/', '///evil.example', '/\\/evil.example', 'evil.example', 'javascript:alert(1)']) {
      const res = await signIn(next);
      expect([next, res.status, res.headers.location]).toEqual([next, 303, '/']);
    }
    // Encoded variants stay what they are, a path on this origin.
    expect((await signIn('/%2F%2Fevil.example')).headers.location).toBe('/%2F%2Fevil.example');
    expect((await signIn('/%5Cevil.example')).headers.location).toBe('/%5Cevil.example');
    expect((await signIn('/services/memory?range=24h')).headers.location).toBe('/services/memory?range=24h');
    // The login page carries the same rule for its hidden field.
    expect((await request(`${url}/login?next=${encodeURIComponent('/\\evil.example')}`)).text).toContain('name="next" value="/"');
  });

  it('accepts a same-origin form post by its Sec-Fetch-Site or by an Origin equal to its Host, and refuses a cross-site one', async () => {
    const post = (headers: Record<string, string>) =>
      request(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: `key=${encodeURIComponent(KEY)}` });
    expect((await post({ origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await post({ origin: 'null', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // The pages' referrer policy keeps a same-origin Origin header real.
    expect((await request(`${url}/login`)).headers['referrer-policy']).toBe('same-origin');
  });
});

describe('same-origin browser requests on a host that is not loopback', () => {
  const { service } = makeService({ browserLogin: true }, { ALLOWED_HOSTS: 'factory.internal' });
  let port = 0;
  beforeAll(async () => {
    port = Number(new URL((await service.start()).url).port);
  });
  afterAll(async () => {
    await service.stop();
  });

  it('accepts an Origin that is the Host it was sent to, and refuses another allowed-looking one', async () => {
    const post = (origin: string, host = `factory.internal:${port}`) =>
      request(`http://127.0.0.1:${port}/login`, {
        method: 'POST',
        headers: { host, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: `key=${encodeURIComponent(KEY)}`,
      });
    expect((await post(`http://factory.internal:${port}`)).status).toBe(303);
    expect((await post(`https://factory.internal:${port}`)).status).toBe(303);
    expect((await post(`http://factory.internal:${port + 1}`)).status).toBe(403);
    expect((await post(`http://other.internal:${port}`)).status).toBe(403);
    expect((await post(`http://factory.internal`, 'factory.internal')).status).toBe(303);
  });
});
