import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { API, blockNetwork, callError, callOk, nock, restoreNetwork, startGithub, type Harness } from './helpers.js';
import { apiBaseUrl } from '../src/github/client.js';

const R = '/repos/octo/app';
const user = { login: 'octocat', name: null, type: 'User', html_url: 'u', email: null, company: null, public_repos: 1 };
const issue = { number: 1, title: 't', state: 'open', user: null, labels: [], assignees: [], comments: 0, created_at: 'c', updated_at: 'u', html_url: 'h' };

describe('GitHub failures become clear isError results; only idempotent requests are retried', () => {
  let h: Harness;
  beforeAll(async () => {
    blockNetwork();
    h = await startGithub({ GITHUB_MAX_RETRIES: '1', GITHUB_RATE_LIMIT_WAIT_SECONDS: '2' });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(async () => {
    await h.close();
    restoreNetwork();
  });

  it('401 says the server credentials are bad', async () => {
    nock(API).get('/user').reply(401, { message: 'Bad credentials' });
    const text = await callError(h.client, 'get_me');
    expect(text).toMatch(/GitHub rejected the credentials for GET \/user \(401 Bad credentials\)/);
    expect(text).toMatch(/GITHUB_TOKEN/);
  });

  it('403 says a permission or scope is missing', async () => {
    nock(API).post(`${R}/issues`).reply(403, { message: 'Resource not accessible by personal access token' }, { 'x-ratelimit-remaining': '4000' });
    expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'x' })).toMatch(
      /GitHub refused POST \/repos\/octo\/app\/issues \(403 Resource not accessible by personal access token\)\. The token lacks the permission/,
    );
  });

  it('404 says what to check', async () => {
    nock(API).get(`${R}/issues/999`).reply(404, { message: 'Not Found' });
    expect(await callError(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 999 })).toMatch(
      /GitHub found nothing at GET \/repos\/octo\/app\/issues\/999 \(404\)\. Check the owner, repository, number/,
    );
  });

  it('422 lists GitHub\'s validation errors', async () => {
    nock(API)
      .post(`${R}/pulls`)
      .reply(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and feature' }] });
    expect(await callError(h.client, 'create_pull_request', { owner: 'octo', repo: 'app', title: 't', head: 'feature', base: 'main' })).toMatch(
      /rejected POST \/repos\/octo\/app\/pulls as invalid \(422 Validation Failed \(No commits between main and feature\)\)\. Fix the arguments/,
    );
  });

  it('an exhausted primary rate limit says when it resets, without waiting for it', async () => {
    const reset = Math.floor(Date.now() / 1000) + 1800;
    const scope = nock(API).get('/user').reply(403, { message: 'API rate limit exceeded for user ID 1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
    const text = await callError(h.client, 'get_me');
    expect(text).toMatch(/GitHub rate limit exceeded for GET \/user/);
    expect(text).toContain(`resets at ${new Date(reset * 1000).toISOString()}`);
    scope.done();
  });

  it('a read hitting a short secondary rate limit is retried once after it', async () => {
    const scope = nock(API)
      .get('/user')
      .reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' })
      .get('/user')
      .reply(200, user);
    expect(await callOk(h.client, 'get_me')).toMatchObject({ login: 'octocat' });
    scope.done();
  });

  it('a write hitting a secondary rate limit is not retried', async () => {
    const scope = nock(API)
      .post(`${R}/issues`)
      .reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' })
      .post(`${R}/issues`)
      .reply(201, issue);
    expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'x' })).toMatch(/rate limit exceeded for POST .*in 1 s/);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('a read that fails with 502 is retried', async () => {
    const scope = nock(API).get('/user').reply(502, { message: 'Bad Gateway' }).get('/user').reply(200, user);
    expect(await callOk(h.client, 'get_me')).toMatchObject({ login: 'octocat' });
    scope.done();
  });

  it('POST and PATCH that fail with 5xx are not retried', async () => {
    const post = nock(API).post(`${R}/issues`).reply(502, { message: 'Bad Gateway' }).post(`${R}/issues`).reply(201, issue);
    expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'x' })).toMatch(/GitHub failed on POST \/repos\/octo\/app\/issues \(502 Bad Gateway\)/);
    expect(post.pendingMocks()).toHaveLength(1);
    const patch = nock(API).patch(`${R}/issues/1`).reply(500, { message: 'boom' }).patch(`${R}/issues/1`).reply(200, issue);
    expect(await callError(h.client, 'issue_write', { method: 'update', owner: 'octo', repo: 'app', issue_number: 1, title: 'y' })).toMatch(/500 boom/);
    expect(patch.pendingMocks()).toHaveLength(1);
  });

  it('a network failure says GitHub could not be reached', async () => {
    nock(API).get('/user').times(2).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(await callError(h.client, 'get_me')).toMatch(/^Could not reach the GitHub API \(.+\)\. Try again later; if it persists, check GITHUB_HOST/);
  });

  it('invalid arguments are refused before any request', async () => {
    // No interceptor exists and the network is closed: only validation can answer.
    expect(await callError(h.client, 'issue_read', { owner: 'octo/evil', repo: 'app', issue_number: 1 })).toMatch(/owner: a GitHub login: 1-39 letters, digits/);
    expect(await callError(h.client, 'list_issues', { owner: 'octo', repo: 'app', per_page: 500 })).toMatch(/per_page/);
    expect(await callError(h.client, 'list_issues', { owner: 'octo', repo: 'app', since: 'yesterday' })).toMatch(/since: expected an ISO 8601 time/);
  });
});

describe('GitHub Enterprise Server', () => {
  it('maps GITHUB_HOST to the /api/v3 base URL', () => {
    expect(apiBaseUrl('github.com')).toBe('https://api.github.com');
    expect(apiBaseUrl('ghe.example.com')).toBe('https://ghe.example.com/api/v3');
    expect(apiBaseUrl('https://ghe.example.com/')).toBe('https://ghe.example.com/api/v3');
    expect(apiBaseUrl('http://ghe.internal:8443/api/v3')).toBe('http://ghe.internal:8443/api/v3');
  });

  it('sends tool calls to the enterprise host', async () => {
    blockNetwork();
    const h = await startGithub({ GITHUB_HOST: 'ghe.example.com' });
    try {
      const scope = nock('https://ghe.example.com').get('/api/v3/user').reply(200, user);
      expect(await callOk(h.client, 'get_me')).toMatchObject({ login: 'octocat' });
      scope.done();
    } finally {
      await h.close();
      restoreNetwork();
    }
  });
});

describe('cancellation', () => {
  it('a cancelled tool call sends nothing to GitHub and is not retried', async () => {
    blockNetwork();
    const h = await startGithub();
    try {
      const scope = nock(API).get('/user').reply(200, user);
      const controller = new AbortController();
      controller.abort();
      const result = await h.service.tools!.call('get_me', {}, {
        signal: controller.signal,
        principal: { keyName: 'tester', authenticated: true },
        requestId: 'r1',
        logger: h.service.logger,
        progress: async () => {},
      });
      expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'The tool call was cancelled before GitHub answered.' }] });
      expect(scope.isDone()).toBe(false);
    } finally {
      await h.close();
      restoreNetwork();
    }
  });
});

describe('without GitHub credentials configured', () => {
  let h: Harness;
  beforeAll(async () => {
    blockNetwork();
    h = await startGithub({ GITHUB_TOKEN: '' });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(async () => {
    await h.close();
    restoreNetwork();
  });

  it('a write refuses at once, naming the settings to set, without calling GitHub', async () => {
    const text = await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'x' });
    expect(text).toBe(
      'issue_write changes GitHub, which needs credentials. github-mcp has no GitHub credentials configured: an operator must set GITHUB_TOKEN, or the GITHUB_APP_* settings, on the server.',
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(nock.isDone()).toBe(true);
  });

  it("GitHub's 401 says what to set, and does not blame an invalid or expired token", async () => {
    const scope = nock(API).get('/user').reply(401, { message: 'Requires authentication' });
    const text = await callError(h.client, 'get_me');
    expect(scope.isDone()).toBe(true);
    expect(text).toBe(
      'GitHub requires authentication for GET /user (401 Requires authentication). github-mcp has no GitHub credentials configured: an operator must set GITHUB_TOKEN, or the GITHUB_APP_* settings, on the server.',
    );
    expect(text).not.toMatch(/invalid or expired/);
  });

  it('a read GitHub serves without credentials still works', async () => {
    nock(API).get(`${R}/issues/1`).reply(200, issue);
    expect(await callOk(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 1 })).toMatchObject({ issue: { number: 1 } });
  });
});
