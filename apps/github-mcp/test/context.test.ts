import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API, TOKEN, blockNetwork, callOk, nock, restoreNetwork, startGithub, type Harness } from './helpers.js';

describe('context toolset', () => {
  let h: Harness;
  beforeAll(async () => {
    blockNetwork();
    h = await startGithub();
  });
  afterAll(async () => {
    await h.close();
    restoreNetwork();
  });

  it('get_me returns the authenticated user, trimmed, with the token scopes, sending the PAT', async () => {
    const scope = nock(API, { reqheaders: { authorization: `token ${TOKEN}` } })
      .get('/user')
      .reply(
        200,
        { login: 'octocat', id: 1, name: 'The Octocat', type: 'User', html_url: 'https://github.com/octocat', email: null, company: '@github', public_repos: 8, node_id: 'X', gravatar_id: '' },
        { 'x-oauth-scopes': 'repo, read:org' },
      );
    const out = await callOk(h.client, 'get_me');
    expect(out).toEqual({
      login: 'octocat',
      name: 'The Octocat',
      type: 'User',
      html_url: 'https://github.com/octocat',
      email: null,
      company: '@github',
      public_repos: 8,
      scopes: ['repo', 'read:org'],
    });
    scope.done();
  });
});
