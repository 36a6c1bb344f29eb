// The daily-work tools beyond issues and pull requests: file deletion, forks and new repositories,
// tags, releases by tag, commit search, labels, users and teams; GitHub answered by nock.
import { describe, expect, it } from '@jest/globals';
import { API, SHA, SHA2, callError, callOk, nextLink, nock, githubSuite } from './helpers.js';

const R = '/repos/octo/app';
const repoAnswer = (full: string) => ({ full_name: full, html_url: `https://github.com/${full}`, default_branch: 'main', private: false, id: 1, name: full.split('/')[1] });

describe('repos, releases, labels and users tools', () => {
  const h = githubSuite({ GITHUB_TOOLSETS: 'all' });

  it('delete_file deletes one file only at the blob sha the caller read', async () => {
    nock(API)
      .delete(`${R}/contents/docs%2Fold.md`, { message: 'Remove old docs', sha: SHA, branch: 'cleanup' })
      .reply(200, { content: null, commit: { sha: SHA2, html_url: 'https://github.com/octo/app/commit/b' } });
    expect(await callOk(h.client, 'delete_file', { owner: 'octo', repo: 'app', path: 'docs/old.md', message: 'Remove old docs', sha: SHA, branch: 'cleanup' })).toEqual({
      path: 'docs/old.md',
      commit_sha: SHA2,
      html_url: 'https://github.com/octo/app/commit/b',
    });
    expect(await callError(h.client, 'delete_file', { owner: 'octo', repo: 'app', path: 'docs/../x', message: 'm', sha: SHA })).toMatch(/path/);
  });

  it('fork_repository forks into an organization, and create_repository creates in the account or an org', async () => {
    nock(API).post(`${R}/forks`, { organization: 'team' }).reply(202, repoAnswer('team/app'));
    expect(await callOk(h.client, 'fork_repository', { owner: 'octo', repo: 'app', organization: 'team' })).toEqual({
      full_name: 'team/app',
      html_url: 'https://github.com/team/app',
      default_branch: 'main',
      private: false,
    });
    nock(API).post('/user/repos', { name: 'tool', private: true, auto_init: true }).reply(201, { ...repoAnswer('me/tool'), private: true });
    expect(await callOk(h.client, 'create_repository', { name: 'tool', auto_init: true })).toMatchObject({ full_name: 'me/tool', private: true });
    nock(API).post('/orgs/team/repos', { name: 'svc', description: 'A service', private: false, auto_init: false }).reply(201, repoAnswer('team/svc'));
    expect(await callOk(h.client, 'create_repository', { name: 'svc', organization: 'team', description: 'A service', private: false })).toMatchObject({ full_name: 'team/svc' });
    expect(await callError(h.client, 'create_repository', { name: '..' })).toMatch(/name/);
  });

  it('list_tags pages through tags with their commits, and get_release_by_tag reads the notes', async () => {
    nock(API).get(`${R}/tags`).query({ page: '1', per_page: '2' }).reply(200, [{ name: 'v2.0.0', commit: { sha: SHA, url: 'u' }, zipball_url: 'z', tarball_url: 't', node_id: 'n' }], nextLink(`${R}/tags`, 1));
    expect(await callOk(h.client, 'list_tags', { owner: 'octo', repo: 'app', per_page: 2 })).toEqual({ tags: [{ name: 'v2.0.0', sha: SHA }], page: 1, per_page: 2, has_more: true });
    nock(API)
      .get(`${R}/releases/tags/v2.0.0`)
      .reply(200, { id: 3, tag_name: 'v2.0.0', name: 'Two', draft: false, prerelease: false, author: { login: 'rel' }, published_at: '2026-02-01T00:00:00Z', html_url: 'https://github.com/octo/app/releases/v2.0.0', body: 'Changes', target_commitish: 'main' });
    expect(await callOk(h.client, 'get_release_by_tag', { owner: 'octo', repo: 'app', tag: 'v2.0.0' })).toEqual({
      id: 3,
      tag_name: 'v2.0.0',
      name: 'Two',
      draft: false,
      prerelease: false,
      author: 'rel',
      published_at: '2026-02-01T00:00:00Z',
      html_url: 'https://github.com/octo/app/releases/v2.0.0',
      body: 'Changes',
      target_commitish: 'main',
    });
  });

  it('search_commits sends the query and names each commit\'s repository and author', async () => {
    nock(API)
      .get('/search/commits')
      .query({ q: 'repo:octo/app fix login', order: 'desc', page: '1', per_page: '30', sort: 'committer-date' })
      .reply(200, {
        total_count: 1,
        incomplete_results: false,
        items: [{ sha: SHA, html_url: 'https://github.com/octo/app/commit/a', author: null, repository: { full_name: 'octo/app' }, commit: { message: 'Fix login', author: { name: 'Jane', date: '2026-01-01T00:00:00Z' } } }],
      });
    expect(await callOk(h.client, 'search_commits', { query: 'repo:octo/app fix login', sort: 'committer-date' })).toEqual({
      total_count: 1,
      items: [{ repository: 'octo/app', sha: SHA, message: 'Fix login', author: 'Jane', date: '2026-01-01T00:00:00Z', html_url: 'https://github.com/octo/app/commit/a' }],
      page: 1,
      per_page: 30,
      has_more: false,
    });
  });

  it('list_labels lists labels, and label_write creates, renames and deletes them', async () => {
    nock(API).get(`${R}/labels`).query({ page: '1', per_page: '30' }).reply(200, [{ id: 1, name: 'bug', color: 'd73a4a', description: null, default: true }]);
    expect(await callOk(h.client, 'list_labels', { owner: 'octo', repo: 'app' })).toEqual({ labels: [{ name: 'bug', color: 'd73a4a', description: null }], page: 1, per_page: 30, has_more: false });
    expect(await callError(h.client, 'label_write', { owner: 'octo', repo: 'app', method: 'create', name: 'triage' })).toMatch(/color: required to create a label/);
    nock(API).post(`${R}/labels`, { name: 'triage', color: 'ededed' }).reply(201, { name: 'triage', color: 'ededed', description: null });
    expect(await callOk(h.client, 'label_write', { owner: 'octo', repo: 'app', method: 'create', name: 'triage', color: 'ededed' })).toEqual({ name: 'triage', deleted: false });
    nock(API).patch(`${R}/labels/triage`, { new_name: 'needs-triage' }).reply(200, { name: 'needs-triage', color: 'ededed', description: null });
    expect(await callOk(h.client, 'label_write', { owner: 'octo', repo: 'app', method: 'update', name: 'triage', new_name: 'needs-triage' })).toEqual({ name: 'needs-triage', deleted: false });
    nock(API).delete(`${R}/labels/needs-triage`).reply(204);
    expect(await callOk(h.client, 'label_write', { owner: 'octo', repo: 'app', method: 'delete', name: 'needs-triage' })).toEqual({ name: 'needs-triage', deleted: true });
  });

  it('search_users, get_teams and get_team_members find people and their teams', async () => {
    nock(API).get('/search/users').query({ q: 'jane in:name', page: '1', per_page: '30' }).reply(200, { total_count: 1, incomplete_results: false, items: [{ login: 'jane', type: 'User', html_url: 'https://github.com/jane', id: 1 }] });
    expect(await callOk(h.client, 'search_users', { query: 'jane in:name' })).toEqual({ total_count: 1, items: [{ login: 'jane', type: 'User', html_url: 'https://github.com/jane' }], page: 1, per_page: 30, has_more: false });
    nock(API).get('/user/teams').query({ page: '1', per_page: '30' }).reply(200, [{ slug: 'platform', name: 'Platform', description: null, organization: { login: 'octo' }, id: 5 }]);
    expect(await callOk(h.client, 'get_teams', {})).toMatchObject({ teams: [{ org: 'octo', slug: 'platform', name: 'Platform', description: null }] });
    nock(API).get('/orgs/octo/teams/platform/members').query({ page: '1', per_page: '30' }).reply(200, [{ login: 'jane' }, { login: 'bob' }]);
    expect(await callOk(h.client, 'get_team_members', { org: 'octo', team_slug: 'platform' })).toMatchObject({ members: ['jane', 'bob'] });
    expect(await callError(h.client, 'get_team_members', { org: 'octo', team_slug: '../admins' })).toMatch(/team_slug/);
  });
});
