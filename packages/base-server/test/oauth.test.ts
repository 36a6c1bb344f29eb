import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SignJWT, generateKeyPair } from 'jose';
import { defineTool, z, type Service } from '../src/index.js';
import { makeService, request, echoTool, KEY } from './helpers.js';
import { CLIENTS, startIdp, type TestIdp } from './oidc.js';

const bumpTool = defineTool({
  name: 'bump',
  title: 'Bump',
  description: 'Changes something (a write tool).',
  inputSchema: z.object({}),
  outputSchema: z.object({ bumped: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  handler: async () => ({ bumped: true }),
});

const otherTool = defineTool({
  name: 'peek_other',
  title: 'Peek other',
  description: 'A read-only tool that declares its own scope.',
  inputSchema: z.object({}),
  outputSchema: z.object({ ok: z.boolean() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'other:read',
  handler: async () => ({ ok: true }),
});

const tools = [echoTool, bumpTool, otherTool];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
/** A raw 2026-07-28 request (stateless: every request carries its envelope). */
const rpc = (method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: modernMeta } });
const mcpHeaders = (token: string, method = 'tools/list', name?: string) => ({
  Authorization: `Bearer ${token}`,
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
  'MCP-Protocol-Version': '2026-07-28',
  'Mcp-Method': method,
  ...(name ? { 'Mcp-Name': name } : {}),
});
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

let idp: TestIdp;
let service: Service;
let url: string;
let resource: string;

async function startOAuthService(env: Record<string, string> = {}) {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/mcp`;
  const { service: s } = makeService(
    {
      tools,
      routes: (api) => {
        api.route({ method: 'get', path: '/v1/things', summary: 'List things', handler: async () => ({ things: [] }) });
        api.route({ method: 'post', path: '/v1/things', summary: 'Make a thing', handler: async () => ({ made: true }) });
      },
    },
    { PORT: String(port), OAUTH_ISSUER: idp.issuer, OAUTH_AUDIENCE: audience, OAUTH_JWKS_COOLDOWN_MS: '0', OAUTH_CLOCK_SKEW_SECONDS: '0', ...env },
  );
  const started = await s.start();
  return { service: s, url: started.url, audience };
}

/** Calls tools/list over a raw 2025-era request; returns the tool names (or the HTTP answer on failure). */
async function listTools(token: string): Promise<string[]> {
  const res = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
  if (res.status !== 200) throw new Error(`tools/list answered ${res.status}: ${res.text}`);
  // Lists differ per caller here, so no shared cache may keep one (2026-07-28 caching hints).
  expect(res.json().result.cacheScope).toBe('private');
  return (res.json().result.tools as { name: string }[]).map((t) => t.name).sort();
}

beforeAll(async () => {
  idp = await startIdp();
  ({ service, url, audience: resource } = await startOAuthService());
});

afterAll(async () => {
  await service?.stop();
  await idp?.close();
});

describe('protected-resource metadata (RFC 9728)', () => {
  it('is served without a token, at the path-aware and the root location, naming the issuer and every scope', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await request(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.json()).toEqual({
        resource,
        authorization_servers: [idp.issuer],
        scopes_supported: ['other:read', 'test-svc:read', 'test-svc:write'],
        resource_name: 'test-svc',
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers 404 (not 401) when OAuth is off', async () => {
    const { service: plain } = makeService();
    const { url: plainUrl } = await plain.start();
    try {
      const res = await request(`${plainUrl}/.well-known/oauth-protected-resource`);
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('oauth_not_configured');
    } finally {
      await plain.stop();
    }
  });

  it('a request without a token gets 401 with the metadata URL to discover the authorization server from', async () => {
    const res = await request(`${url}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: initialize });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="http://127.0.0.1:${new URL(url).port}/.well-known/oauth-protected-resource/mcp"`);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });
});

describe('the SDK v2 client against the server, end to end', () => {
  it('discovers the issuer from the 401, gets a token for this resource, and calls a tool as its client', async () => {
    const authProvider = new ClientCredentialsProvider({ clientId: 'agent', clientSecret: CLIENTS.agent, scope: 'test-svc:read test-svc:write', expectedIssuer: idp.issuer });
    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider }));
    try {
      const listed = await client.listTools();
      // The client asks for the scopes the metadata advertises; the list is what its token grants.
      const granted = String(JSON.parse(Buffer.from(authProvider.tokens()?.access_token.split('.')[1] ?? '', 'base64url').toString()).scope).split(' ');
      const expected = [['echo', 'test-svc:read'], ['bump', 'test-svc:write'], ['peek_other', 'other:read']].filter(([, scope]) => granted.includes(scope ?? '')).map(([n]) => n);
      expect(expected).toContain('echo');
      expect(listed.tools.map((t) => t.name).sort()).toEqual(expected.sort());
      const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } }, {});
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ echoed: 'hi', caller: 'agent' });
      expect(authProvider.tokens()?.access_token.split('.')).toHaveLength(3);
    } finally {
      await client.close();
    }
  });
});

describe('scopes decide which tools a caller sees and calls', () => {
  it('a read-scoped token sees no write tool, and calling one is refused with the step-up challenge', async () => {
    const token = await idp.token({ scope: 'test-svc:read', resource });
    expect(await listTools(token)).toEqual(['echo']);
    const res = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(token, 'tools/call', 'bump'), body: rpc('tools/call', { name: 'bump', arguments: {} }) });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    expect(res.headers['www-authenticate']).toContain('scope="test-svc:write"');
    expect(res.headers['www-authenticate']).toContain('resource_metadata="');
    expect(res.json().error.data).toEqual({ type: 'permission_error', code: 'insufficient_scope' });
  });

  it('a tool that declares its own scope needs exactly that one', async () => {
    const token = await idp.token({ scope: 'other:read', resource });
    expect(await listTools(token)).toEqual(['peek_other']);
    const res = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(token, 'tools/call', 'peek_other'), body: rpc('tools/call', { name: 'peek_other', arguments: {} }) });
    expect(res.status).toBe(200);
    expect(res.json().result.structuredContent).toEqual({ ok: true });
  });

  it('REST routes need <service>:read for GET and <service>:write otherwise', async () => {
    const token = await idp.token({ scope: 'test-svc:read', resource });
    const get = await request(`${url}/v1/things`, { headers: { Authorization: `Bearer ${token}` } });
    expect(get.status).toBe(200);
    const post = await request(`${url}/v1/things`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(403);
    expect(post.json().error).toMatchObject({ code: 'insufficient_scope', details: { required_scope: 'test-svc:write' } });
    expect(post.headers['www-authenticate']).toContain('scope="test-svc:write"');
  });

  it('API keys still work next to OAuth, with full access when they carry no scopes', async () => {
    expect(await listTools(KEY)).toEqual(['bump', 'echo', 'peek_other']);
  });
});

describe('tokens that are refused with 401 invalid_token', () => {
  const refused = async (token: string) => {
    const res = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    return res.json().error.message as string;
  };
  const part = (token: string, i: number) => JSON.parse(Buffer.from(token.split('.')[i] ?? '', 'base64url').toString()) as Record<string, unknown>;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('a token for another resource (wrong audience)', async () => {
    expect(await refused(await idp.token({ resource: 'http://127.0.0.1:1/other' }))).toContain('not issued for this resource');
  });

  it('a token from another issuer', async () => {
    const other = await startIdp();
    try {
      await refused(await other.token({ resource }));
    } finally {
      await other.close();
    }
  });

  it('an expired token, also one that was accepted (and so cached as verified) before it expired', async () => {
    const token = await idp.token({ client: 'short', resource });
    const { exp } = part(token, 1) as { exp: number };
    const accepted = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
    // Issued with a 1 s lifetime: when the answer came back before exp, the token was accepted (and
    // cached); on a machine so loaded that it expired first, the cache played no part.
    if (Date.now() / 1000 < exp) expect(accepted.status).toBe(200);
    while (Date.now() / 1000 <= exp + 1) await new Promise((r) => setTimeout(r, 200));
    expect(await refused(token)).toContain('expired');
  });

  it('an unsigned token (alg: none) carrying valid claims', async () => {
    const real = await idp.token({ resource });
    await refused(`${encode({ alg: 'none', typ: 'at+jwt' })}.${token1(real)}.`);
  });

  it('a token signed with a key the issuer does not publish, under a published kid', async () => {
    const real = await idp.token({ resource });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(part(real, 1)).setProtectedHeader({ alg: 'ES256', kid: String(part(real, 0).kid), typ: 'at+jwt' }).sign(privateKey);
    await refused(forged);
  });

  it('a tampered token (scope widened after signing)', async () => {
    const real = await idp.token({ scope: 'test-svc:read', resource });
    const [header, , signature] = real.split('.');
    const widened = encode({ ...part(real, 1), scope: 'test-svc:read test-svc:write' });
    await refused(`${header}.${widened}.${signature}`);
  });

  function token1(token: string): string {
    return token.split('.')[1] ?? '';
  }
});

describe('signing key rotation', () => {
  it('a token signed with a new key (unknown kid) refetches the JWKS and is accepted', async () => {
    const before = await idp.token({ resource });
    // Minted under the old key and never sent before the rotation, so no cached verification answers for it.
    const unsentBefore = await idp.token({ resource });
    expect(await listTools(before)).toContain('echo');
    const fetches = idp.jwksFetches();
    await idp.rotate();
    const after = await idp.token({ resource });
    expect(JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString()).kid).not.toBe(JSON.parse(Buffer.from(before.split('.')[0] ?? '', 'base64url').toString()).kid);
    expect(await listTools(after)).toContain('echo');
    expect(idp.jwksFetches()).toBeGreaterThan(fetches);
    // The cached set now holds both keys: a token under the old one still verifies.
    expect(await listTools(unsentBefore)).toContain('echo');
  });
});

describe('opaque tokens through RFC 7662 introspection', () => {
  it('are accepted with their scopes when an introspection endpoint is configured, refused without', async () => {
    const opaque = await idp.token({ client: 'opaque', scope: 'test-svc:read', resource });
    expect(opaque.split('.')).toHaveLength(1);
    const res = await request(`${url}/mcp`, { method: 'POST', headers: mcpHeaders(opaque), body: rpc('tools/list') });
    expect(res.status).toBe(401);

    const introspecting = await startOAuthService({
      OAUTH_INTROSPECTION_URL: `${idp.issuer}/token/introspection`,
      OAUTH_INTROSPECTION_CLIENT_ID: 'rs',
      OAUTH_INTROSPECTION_CLIENT_SECRET: CLIENTS.rs,
    });
    try {
      // The token was issued for the first server's resource URI: the second server refuses it as not its own.
      const wrong = await request(`${introspecting.url}/mcp`, { method: 'POST', headers: mcpHeaders(opaque), body: rpc('tools/list') });
      expect(wrong.status).toBe(401);
      const own = await idp.token({ client: 'opaque', scope: 'test-svc:read', resource: introspecting.audience });
      const ok = await request(`${introspecting.url}/mcp`, { method: 'POST', headers: mcpHeaders(own), body: rpc('tools/list') });
      expect(ok.status).toBe(200);
      expect((ok.json().result.tools as { name: string }[]).map((t) => t.name)).toEqual(['echo']);
    } finally {
      await introspecting.service.stop();
    }
  });
});

describe('scoped API keys and the failed-authentication limiter', () => {
  const READ_KEY = 'read-key-0123456789abcdef';
  let keyed: Service;
  let keyedUrl: string;
  beforeAll(async () => {
    ({ service: keyed } = makeService({ tools }, { API_KEYS: `full:${KEY},reader:${READ_KEY}:test-svc:read+other:read`, AUTH_FAILURES_PER_MINUTE: '3' }));
    ({ url: keyedUrl } = await keyed.start());
  });
  afterAll(async () => {
    await keyed?.stop();
  });
  const post = (key: string, method: string, body: string, name?: string) => request(`${keyedUrl}/mcp`, { method: 'POST', headers: mcpHeaders(key, method, name), body });

  it('a key with scopes sees and calls only what they grant; a key without scopes keeps full access', async () => {
    const reader = await post(READ_KEY, 'tools/list', rpc('tools/list'));
    expect((reader.json().result.tools as { name: string }[]).map((t) => t.name).sort()).toEqual(['echo', 'peek_other']);
    expect(reader.json().result.cacheScope).toBe('private');
    const refused = await post(READ_KEY, 'tools/call', rpc('tools/call', { name: 'bump', arguments: {} }), 'bump');
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('scope="test-svc:write"');
    const full = await post(KEY, 'tools/call', rpc('tools/call', { name: 'bump', arguments: {} }), 'bump');
    expect(full.json().result.structuredContent).toEqual({ bumped: true });
  });

  it('refuses an address with 429 after too many failed attempts, even when it then sends a right key', async () => {
    for (let i = 0; i < 3; i++) expect((await post('wrong-key-0123456789abcdef', 'tools/list', rpc('tools/list'))).status).toBe(401);
    const blocked = await post(KEY, 'tools/list', rpc('tools/list'));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });
});
