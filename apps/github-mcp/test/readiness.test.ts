import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { API, TOKEN, blockNetwork, nock, restoreNetwork, startGithub } from './helpers.js';

const reset = Math.floor(Date.parse('2026-03-01T11:00:00Z') / 1000);
const rateLimit = (remaining: number) => ({
  resources: { core: { limit: 5000, remaining, reset, used: 5000 - remaining }, search: { limit: 30, remaining: 30, reset, used: 0 } },
  rate: { limit: 5000, remaining, reset, used: 5000 - remaining },
});

interface ReadyBody {
  ready: boolean;
  checks: Record<string, { status: string; message?: string; details?: Record<string, unknown>; checked_at?: string }>;
  dependencies: { required: string[]; optional: string[] };
  errors?: string[];
}

async function ready(env: Record<string, string>, times = 1): Promise<{ status: number; body: ReadyBody }[]> {
  const h = await startGithub(env);
  try {
    const out = [];
    for (let i = 0; i < times; i++) {
      const res = await fetch(`${h.url}/ready`);
      out.push({ status: res.status, body: (await res.json()) as ReadyBody });
    }
    return out;
  } finally {
    await h.close();
  }
}

describe('readiness: github_api and authentication', () => {
  beforeAll(blockNetwork);
  afterEach(() => nock.cleanAll());
  afterAll(restoreNetwork);

  it('is ready with the quota in the authentication check, probing GET /rate_limit once and reusing it within the interval', async () => {
    const scope = nock(API, { reqheaders: { authorization: `token ${TOKEN}` } })
      .get('/rate_limit')
      .reply(200, rateLimit(4321));
    const [first, second] = await ready({ GITHUB_READY_MIN_INTERVAL_MS: '600000' }, 2);
    expect(first?.status).toBe(200);
    expect(first?.body.dependencies).toEqual({ required: ['github_api', 'authentication'], optional: [] });
    expect(first?.body.checks.github_api?.status).toBe('ok');
    expect(first?.body.checks.authentication).toMatchObject({
      status: 'ok',
      details: { method: 'token', remaining: 4321, limit: 5000, reset: '2026-03-01T11:00:00.000Z' },
    });
    // One request served both checks, and the second /ready reused it.
    scope.done();
    expect(second?.status).toBe(200);
    expect(second?.body.checks.authentication?.checked_at).toEqual(expect.any(String));
    expect(second?.body.checks.github_api?.checked_at).toEqual(expect.any(String));
  });

  it('warns, but stays ready, when the core quota runs low', async () => {
    nock(API).get('/rate_limit').reply(200, rateLimit(42));
    const [r] = await ready({ GITHUB_RATE_LIMIT_WARN_REMAINING: '100' });
    expect(r?.status).toBe(200);
    expect(r?.body.checks.authentication).toMatchObject({ status: 'warning', message: expect.stringMatching(/quota low: 42 of 5000/) });
  });

  it('is not ready when GitHub rejects the token, though the API is reachable', async () => {
    nock(API).get('/rate_limit').reply(401, { message: 'Bad credentials' });
    const [r] = await ready({});
    expect(r?.status).toBe(503);
    expect(r?.body.checks.github_api?.status).toBe('ok');
    expect(r?.body.checks.authentication).toMatchObject({ status: 'error', message: expect.stringMatching(/GITHUB_TOKEN/) });
    expect(r?.body.errors).toEqual([expect.stringMatching(/^authentication check failed/)]);
  });

  it('is not ready when GitHub cannot be reached', async () => {
    nock(API).get('/rate_limit').replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const [r] = await ready({});
    expect(r?.status).toBe(503);
    expect(r?.body.checks.github_api).toMatchObject({ status: 'error', message: expect.stringMatching(/GitHub API unreachable/) });
    expect(r?.body.checks.authentication?.status).toBe('error');
  });

  it('reports authentication as not configured without credentials', async () => {
    nock(API).get('/rate_limit').reply(200, rateLimit(60));
    const [r] = await ready({ GITHUB_TOKEN: '' });
    expect(r?.status).toBe(503);
    expect(r?.body.checks.github_api?.status).toBe('ok');
    expect(r?.body.checks.authentication).toMatchObject({ status: 'not_configured', message: expect.stringMatching(/set GITHUB_TOKEN/) });
  });
});

describe('readiness with GitHub App credentials', () => {
  beforeAll(blockNetwork);
  afterAll(restoreNetwork);

  it('reports an app whose token exchange is refused as an authentication error, with the API reachable', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    nock(API).post('/app/installations/9/access_tokens').reply(401, { message: 'Bad credentials' });
    const [r] = await ready({ GITHUB_TOKEN: '', GITHUB_APP_ID: '77', GITHUB_APP_PRIVATE_KEY: privateKey, GITHUB_APP_INSTALLATION_ID: '9' });
    expect(r?.status).toBe(503);
    expect(r?.body.checks.github_api?.status).toBe('ok');
    expect(r?.body.checks.authentication).toMatchObject({ status: 'error', message: expect.stringMatching(/^Could not get a GitHub App token for app 77/) });
  });

  it('is ready with an installation token and reports the app method', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    nock(API).post('/app/installations/9/access_tokens').reply(201, { token: 'ghs_ready', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} });
    nock(API, { reqheaders: { authorization: 'token ghs_ready' } }).get('/rate_limit').reply(200, rateLimit(4999));
    const [r] = await ready({ GITHUB_TOKEN: '', GITHUB_APP_ID: '77', GITHUB_APP_PRIVATE_KEY: privateKey, GITHUB_APP_INSTALLATION_ID: '9' });
    expect(r?.status).toBe(200);
    expect(r?.body.checks.authentication).toMatchObject({ status: 'ok', details: { method: 'app', remaining: 4999 } });
  });
});
