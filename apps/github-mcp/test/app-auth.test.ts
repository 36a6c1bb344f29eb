import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, verify } from 'node:crypto';
import { API, blockNetwork, callError, callOk, nock, restoreNetwork, startGithub, type Harness } from './helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, // what GitHub hands out
});
const HOUR = 3_600_000;
const repo = { full_name: 'octo/app', default_branch: 'main', html_url: 'u', topics: [], stargazers_count: 0, forks_count: 0, open_issues_count: 0, archived: false, fork: false };

/** Verifies the app JWT GitHub would receive: RS256, signed by our key, issued by app 123. */
function verifiedJwtIssuer(authorization: string | undefined): string {
  const jwt = /^bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) throw new Error('not a JWT');
  expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ alg: 'RS256' });
  expect(verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  return String((JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss: unknown }).iss);
}

describe('GitHub App authentication', () => {
  let now = Date.parse('2026-03-01T10:00:00Z');
  let h: Harness;
  let issuedTokens = 0;
  const appEnv = {
    GITHUB_TOKEN: '',
    GITHUB_APP_ID: '123',
    // As it often arrives from a secrets manager: one line with \n escapes.
    GITHUB_APP_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
    GITHUB_APP_INSTALLATION_ID: '456',
  };

  const tokenEndpoint = (installation: number) =>
    nock(API)
      .post(`/app/installations/${installation}/access_tokens`)
      .reply(function () {
        expect(verifiedJwtIssuer(this.req.headers.authorization as string | undefined)).toBe('123');
        issuedTokens++;
        return [201, { token: `ghs_token${issuedTokens}`, expires_at: new Date(now + HOUR).toISOString(), permissions: { issues: 'write', contents: 'read' }, repository_selection: 'all' }];
      })
      .persist();

  beforeAll(async () => {
    blockNetwork();
    h = await startGithub(appEnv, { now: () => now });
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    await h.close();
    restoreNetwork();
  });

  it('exchanges a signed app JWT for an installation token and reuses it until shortly before it expires', async () => {
    issuedTokens = 0;
    const issuedAt = now;
    tokenEndpoint(456);
    const seen: string[] = [];
    nock(API)
      .get('/repos/octo/app')
      .times(5)
      .reply(function () {
        seen.push(String(this.req.headers.authorization));
        return [200, repo];
      });

    await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    expect(issuedTokens).toBe(1);

    now = issuedAt + HOUR - 6 * 60_000; // 6 minutes before expiry: still cached
    await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    expect(issuedTokens).toBe(1);

    now = issuedAt + HOUR - 4 * 60_000; // inside the 5-minute refresh margin: replaced
    await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    expect(issuedTokens).toBe(2);
    expect(seen).toEqual(['token ghs_token1', 'token ghs_token1', 'token ghs_token1', 'token ghs_token2', 'token ghs_token2']);
  });

  it('turns a rejected app key into a tool error that names the settings to fix', async () => {
    now += 2 * HOUR; // the cached token has expired
    nock(API).post('/app/installations/456/access_tokens').reply(401, { message: 'A JSON web token could not be decoded' });
    const text = await callError(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    expect(text).toMatch(/^Could not get a GitHub App token for app 123 \(installation 456\): GitHub rejected the credentials/);
    expect(text).toMatch(/Check GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY/);
  });

  it('finds the installation from its owner when no installation id is configured', async () => {
    issuedTokens = 0;
    const other = await startGithub({ ...appEnv, GITHUB_APP_INSTALLATION_ID: '', GITHUB_APP_INSTALLATION_OWNER: 'octo' }, { now: () => now });
    try {
      const lookup = nock(API)
        .get('/orgs/octo/installation')
        .reply(404, { message: 'Not Found' })
        .get('/users/octo/installation')
        .reply(function () {
          expect(verifiedJwtIssuer(this.req.headers.authorization as string | undefined)).toBe('123');
          return [200, { id: 789, account: { login: 'octo' } }];
        });
      tokenEndpoint(789);
      nock(API, { reqheaders: { authorization: 'token ghs_token1' } }).get('/repos/octo/app').twice().reply(200, repo);
      await callOk(other.client, 'get_repository', { owner: 'octo', repo: 'app' });
      await callOk(other.client, 'get_repository', { owner: 'octo', repo: 'app' });
      lookup.done();
      expect(issuedTokens).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('GitHub App configuration', () => {
  it('requires the private key and an installation with an app id', async () => {
    const { parseGithubConfig } = await import('../src/config.js');
    expect(() => parseGithubConfig({ GITHUB_APP_ID: '1', GITHUB_APP_INSTALLATION_ID: '2' })).toThrow(/GITHUB_APP_PRIVATE_KEY: required with GITHUB_APP_ID/);
    expect(() => parseGithubConfig({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: privateKey })).toThrow(/GITHUB_APP_INSTALLATION_ID: required with GITHUB_APP_ID/);
    expect(() => parseGithubConfig({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: privateKey, GITHUB_APP_INSTALLATION_ID: '2', GITHUB_TOKEN: 'x' })).toThrow(/not both/);
    expect(parseGithubConfig({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'), GITHUB_APP_INSTALLATION_ID: '2' }).GITHUB_APP_PRIVATE_KEY).toBe(privateKey.trim());
  });
});
