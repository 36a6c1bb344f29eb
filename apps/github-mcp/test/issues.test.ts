import { describe, expect, it } from '@jest/globals';
import { API, callError, callOk, nextLink, nock, githubSuite } from './helpers.js';

const R = '/repos/octo/app';
const issue = (n: number, extra: Record<string, unknown> = {}) => ({
  number: n,
  title: `Issue ${n}`,
  state: 'open',
  user: { login: 'alice', id: 1 },
  labels: [{ name: 'bug', color: 'f00' }, 'triage'],
  assignees: [{ login: 'bob' }],
  comments: 2,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  html_url: `https://github.com/octo/app/issues/${n}`,
  body: 'Steps to reproduce',
  node_id: 'I_x',
  reactions: { total_count: 0 },
  ...extra,
});
const summary = (n: number) => ({
  number: n,
  title: `Issue ${n}`,
  state: 'open',
  user: 'alice',
  labels: ['bug', 'triage'],
  assignees: ['bob'],
  comments: 2,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  html_url: `https://github.com/octo/app/issues/${n}`,
});

describe('issues toolset', () => {
  const h = githubSuite();

  it('list_issues leaves out pull requests, forwards filters and reports the next page', async () => {
    nock(API)
      .get(`${R}/issues`)
      .query({ state: 'all', sort: 'updated', direction: 'asc', page: '1', per_page: '3', labels: 'bug,ui', assignee: 'bob' })
      .reply(200, [issue(1), issue(2, { pull_request: { url: 'x' } }), issue(3)], nextLink(`${R}/issues`, 1));
    const out = await callOk(h.client, 'list_issues', { owner: 'octo', repo: 'app', state: 'all', sort: 'updated', direction: 'asc', per_page: 3, labels: ['bug', 'ui'], assignee: 'bob' });
    expect(out).toEqual({ issues: [summary(1), summary(3)], page: 1, per_page: 3, has_more: true });
  });

  it('issue_read details returns the body and state details', async () => {
    nock(API).get(`${R}/issues/7`).reply(200, issue(7, { state_reason: null, milestone: { title: 'v1' }, closed_at: null }));
    expect((await callOk(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 7 })).issue).toEqual({
      ...summary(7),
      body: 'Steps to reproduce',
      state_reason: null,
      milestone: 'v1',
      closed_at: null,
      is_pull_request: false,
    });
  });

  it('issue_write create sends title, body, labels and assignees, and refuses update-only fields', async () => {
    nock(API)
      .post(`${R}/issues`, { title: 'Crash on start', body: 'trace', labels: ['bug'], assignees: ['bob'] })
      .reply(201, issue(42, { title: 'Crash on start' }));
    expect(await callOk(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'Crash on start', body: 'trace', labels: ['bug'], assignees: ['bob'] })).toEqual({
      number: 42,
      title: 'Crash on start',
      state: 'open',
      html_url: 'https://github.com/octo/app/issues/42',
    });
    expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', body: 'no title' })).toMatch(/title: required to create an issue/);
    expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 't', issue_number: 3 })).toMatch(/issue_number: only for method update/);
  });

  it('issue_write update changes state, labels and assignees, and refuses a call that changes nothing', async () => {
    nock(API)
      .patch(`${R}/issues/42`, { state: 'closed', state_reason: 'completed', labels: ['done'], assignees: [] })
      .reply(200, issue(42, { state: 'closed', labels: [{ name: 'done' }], assignees: [] }));
    const out = await callOk(h.client, 'issue_write', { method: 'update', owner: 'octo', repo: 'app', issue_number: 42, state: 'closed', state_reason: 'completed', labels: ['done'], assignees: [] });
    expect(out).toEqual({ number: 42, title: 'Issue 42', state: 'closed', html_url: 'https://github.com/octo/app/issues/42' });
    expect(await callError(h.client, 'issue_write', { method: 'update', owner: 'octo', repo: 'app', issue_number: 42 })).toMatch(/give at least one of title/);
  });

  it('add_issue_comment posts the comment', async () => {
    nock(API)
      .post(`${R}/issues/42/comments`, { body: 'Fixed in #43' })
      .reply(201, { id: 99, html_url: 'https://github.com/c/99', created_at: '2026-01-03T00:00:00Z', body: 'Fixed in #43', user: { login: 'me' } });
    expect(await callOk(h.client, 'add_issue_comment', { owner: 'octo', repo: 'app', issue_number: 42, body: 'Fixed in #43' })).toEqual({
      id: 99,
      html_url: 'https://github.com/c/99',
      created_at: '2026-01-03T00:00:00Z',
    });
  });

  it('issue_read comments pages through comments and cuts long bodies', async () => {
    nock(API)
      .get(`${R}/issues/42/comments`)
      .query({ page: '2', per_page: '1' })
      .reply(200, [{ id: 5, user: { login: 'carol' }, body: 'z'.repeat(4100), created_at: '2026-01-01T00:00:00Z', html_url: 'u' }]);
    const out = await callOk(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 42, view: 'comments', page: 2, per_page: 1 });
    const comments = out.comments as Array<{ body: string; user: string }>;
    expect(comments[0]?.user).toBe('carol');
    expect(comments[0]?.body.startsWith('z'.repeat(4000))).toBe(true);
    expect(comments[0]?.body).toMatch(/truncated 100 characters/);
    expect(out).toMatchObject({ page: 2, per_page: 1, has_more: false });
  });

  it('search_issues sends the query and names each result\'s repository', async () => {
    nock(API)
      .get('/search/issues')
      .query({ q: 'is:issue repo:octo/app is:open crash', order: 'desc', page: '1', per_page: '30', sort: 'updated' })
      .reply(200, {
        total_count: 2,
        incomplete_results: false,
        items: [
          { ...issue(1), repository_url: 'https://api.github.com/repos/octo/app' },
          { ...issue(2), repository_url: 'https://api.github.com/repos/octo/app', pull_request: { url: 'x' } },
        ],
      });
    const out = await callOk(h.client, 'search_issues', { query: 'repo:octo/app is:open crash', sort: 'updated' });
    expect(out.total_count).toBe(2);
    expect(out.items).toEqual([
      { repository: 'octo/app', number: 1, title: 'Issue 1', state: 'open', is_pull_request: false, user: 'alice', updated_at: '2026-01-02T00:00:00Z', html_url: 'https://github.com/octo/app/issues/1' },
      { repository: 'octo/app', number: 2, title: 'Issue 2', state: 'open', is_pull_request: true, user: 'alice', updated_at: '2026-01-02T00:00:00Z', html_url: 'https://github.com/octo/app/issues/2' },
    ]);
  });

  it('issue_read sub_issues lists child issues with the ids sub_issue_write takes, and sub_issue_write adds and removes them', async () => {
    nock(API).get(`${R}/issues/42/sub_issues`).query({ page: '1', per_page: '30' }).reply(200, [{ id: 9001, ...issue(43) }]);
    expect(await callOk(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 42, view: 'sub_issues' })).toEqual({
      sub_issues: [{ id: 9001, ...summary(43) }],
      page: 1,
      per_page: 30,
      has_more: false,
    });
    nock(API).post(`${R}/issues/42/sub_issues`, { sub_issue_id: 9002, replace_parent: true }).reply(201, issue(42));
    expect(await callOk(h.client, 'sub_issue_write', { owner: 'octo', repo: 'app', issue_number: 42, method: 'add', sub_issue_id: 9002, replace_parent: true })).toEqual({
      parent: 42,
      sub_issue_id: 9002,
      html_url: 'https://github.com/octo/app/issues/42',
    });
    nock(API).delete(`${R}/issues/42/sub_issue`, { sub_issue_id: 9001 }).reply(200, issue(42));
    expect(await callOk(h.client, 'sub_issue_write', { owner: 'octo', repo: 'app', issue_number: 42, method: 'remove', sub_issue_id: 9001 })).toMatchObject({ sub_issue_id: 9001 });
  });
});
