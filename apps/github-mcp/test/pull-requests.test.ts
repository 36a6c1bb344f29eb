import { describe, expect, it } from '@jest/globals';
import { API, SHA, SHA2, callError, callOk, nextLink, nock, githubSuite } from './helpers.js';

const R = '/repos/octo/app';
const pr = (n: number, extra: Record<string, unknown> = {}) => ({
  number: n,
  title: `PR ${n}`,
  state: 'open',
  draft: false,
  user: { login: 'alice' },
  head: { ref: 'feature', sha: SHA, repo: { full_name: 'octo/app' } },
  base: { ref: 'main', sha: SHA2 },
  updated_at: '2026-01-02T00:00:00Z',
  created_at: '2026-01-01T00:00:00Z',
  html_url: `https://github.com/octo/app/pull/${n}`,
  body: 'Adds a feature',
  merged: false,
  mergeable: true,
  mergeable_state: 'clean',
  additions: 10,
  deletions: 2,
  changed_files: 3,
  commits: 1,
  requested_reviewers: [{ login: 'bob' }],
  merged_at: null,
  _links: {},
  ...extra,
});
const summary = (n: number) => ({
  number: n,
  title: `PR ${n}`,
  state: 'open',
  draft: false,
  user: 'alice',
  head: 'feature',
  base: 'main',
  updated_at: '2026-01-02T00:00:00Z',
  html_url: `https://github.com/octo/app/pull/${n}`,
});

describe('pull_requests toolset', () => {
  const h = githubSuite();

  it('list_pull_requests forwards filters and pagination', async () => {
    nock(API)
      .get(`${R}/pulls`)
      .query({ state: 'open', sort: 'created', direction: 'desc', page: '1', per_page: '30', base: 'main' })
      .reply(200, [pr(1), pr(2)], nextLink(`${R}/pulls`, 1));
    expect(await callOk(h.client, 'list_pull_requests', { owner: 'octo', repo: 'app', base: 'main' })).toEqual({
      pull_requests: [summary(1), summary(2)],
      page: 1,
      per_page: 30,
      has_more: true,
    });
  });

  it('get_pull_request returns head and base SHAs and merge state', async () => {
    nock(API).get(`${R}/pulls/5`).reply(200, pr(5));
    expect(await callOk(h.client, 'get_pull_request', { owner: 'octo', repo: 'app', pull_number: 5 })).toEqual({
      ...summary(5),
      body: 'Adds a feature',
      head_sha: SHA,
      base_sha: SHA2,
      merged: false,
      mergeable: true,
      mergeable_state: 'clean',
      additions: 10,
      deletions: 2,
      changed_files: 3,
      commits: 1,
      requested_reviewers: ['bob'],
      created_at: '2026-01-01T00:00:00Z',
      merged_at: null,
    });
  });

  it('get_pull_request_diff asks for the diff format and bounds it at a line boundary', async () => {
    const diff = ['diff --git a/a.ts b/a.ts', '--- a/a.ts', '+++ b/a.ts', '@@ -1 +1 @@', ...Array.from({ length: 200 }, (_, i) => `+line ${i}`)].join('\n') + '\n';
    nock(API, { reqheaders: { accept: 'application/vnd.github.v3.diff' } })
      .get(`${R}/pulls/5`)
      .twice()
      .reply(200, diff, { 'content-type': 'text/plain; charset=utf-8' });
    const small = await callOk(h.client, 'get_pull_request_diff', { owner: 'octo', repo: 'app', pull_number: 5, max_bytes: 1000 });
    expect(small.truncated).toBe(true);
    expect(small.bytes).toBe(Buffer.byteLength(diff));
    const text = small.diff as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    expect(text.endsWith('\n')).toBe(true);
    expect(diff.startsWith(text)).toBe(true);
    const full = await callOk(h.client, 'get_pull_request_diff', { owner: 'octo', repo: 'app', pull_number: 5 });
    expect(full).toEqual({ diff, bytes: Buffer.byteLength(diff), truncated: false });
  });

  it('get_pull_request_files lists changed files with patches when asked', async () => {
    nock(API)
      .get(`${R}/pulls/5/files`)
      .query({ page: '1', per_page: '30' })
      .reply(200, [
        { filename: 'a.ts', status: 'modified', additions: 1, deletions: 1, changes: 2, patch: '@@ x', sha: SHA, blob_url: 'b' },
        { filename: 'b.ts', status: 'renamed', previous_filename: 'old.ts', additions: 0, deletions: 0, changes: 0, sha: SHA, blob_url: 'b' },
      ]);
    const out = await callOk(h.client, 'get_pull_request_files', { owner: 'octo', repo: 'app', pull_number: 5, include_patch: true });
    expect(out.files).toEqual([
      { filename: 'a.ts', status: 'modified', additions: 1, deletions: 1, patch: '@@ x' },
      { filename: 'b.ts', status: 'renamed', additions: 0, deletions: 0, previous_filename: 'old.ts' },
    ]);
  });

  it('create_pull_request opens a draft when asked', async () => {
    nock(API)
      .post(`${R}/pulls`, { title: 'Add x', head: 'feature', base: 'main', body: 'why', draft: true })
      .reply(201, pr(9, { title: 'Add x', draft: true }));
    expect(await callOk(h.client, 'create_pull_request', { owner: 'octo', repo: 'app', title: 'Add x', head: 'feature', base: 'main', body: 'why', draft: true })).toEqual({
      ...summary(9),
      title: 'Add x',
      draft: true,
    });
  });

  it('update_pull_request changes only the fields given', async () => {
    nock(API).patch(`${R}/pulls/9`, { title: 'Add y', state: 'closed' }).reply(200, pr(9, { title: 'Add y', state: 'closed' }));
    expect(await callOk(h.client, 'update_pull_request', { owner: 'octo', repo: 'app', pull_number: 9, title: 'Add y', state: 'closed' })).toMatchObject({
      title: 'Add y',
      state: 'closed',
    });
    expect(await callError(h.client, 'update_pull_request', { owner: 'octo', repo: 'app', pull_number: 9 })).toMatch(/give at least one of/);
  });

  it('merge_pull_request requires the expected head SHA and sends it', async () => {
    expect(await callError(h.client, 'merge_pull_request', { owner: 'octo', repo: 'app', pull_number: 9 })).toMatch(/sha/);
    nock(API)
      .put(`${R}/pulls/9/merge`, { sha: SHA, merge_method: 'squash' })
      .reply(200, { merged: true, sha: SHA2, message: 'Pull Request successfully merged' });
    expect(await callOk(h.client, 'merge_pull_request', { owner: 'octo', repo: 'app', pull_number: 9, sha: SHA, merge_method: 'squash' })).toEqual({
      merged: true,
      sha: SHA2,
      message: 'Pull Request successfully merged',
    });
  });

  it('merge_pull_request reports a moved head as a conflict to re-read', async () => {
    nock(API).put(`${R}/pulls/9/merge`).reply(409, { message: 'Head branch was modified. Review and try the merge again.' });
    const text = await callError(h.client, 'merge_pull_request', { owner: 'octo', repo: 'app', pull_number: 9, sha: SHA });
    expect(text).toMatch(/409 Head branch was modified/);
    expect(text).toMatch(/Re-read the resource/);
  });

  it('create_pull_request_review submits a verdict with line comments, and requires a body to request changes', async () => {
    expect(await callError(h.client, 'create_pull_request_review', { owner: 'octo', repo: 'app', pull_number: 9, event: 'REQUEST_CHANGES' })).toMatch(/body is required/);
    nock(API)
      .post(`${R}/pulls/9/reviews`, { event: 'COMMENT', body: 'Looks close', comments: [{ path: 'a.ts', line: 3, side: 'RIGHT', body: 'nit' }] })
      .reply(200, { id: 77, state: 'COMMENTED', html_url: 'https://github.com/r/77', submitted_at: '2026-01-05T00:00:00Z' });
    expect(
      await callOk(h.client, 'create_pull_request_review', {
        owner: 'octo',
        repo: 'app',
        pull_number: 9,
        event: 'COMMENT',
        body: 'Looks close',
        comments: [{ path: 'a.ts', line: 3, body: 'nit' }],
      }),
    ).toEqual({ id: 77, state: 'COMMENTED', html_url: 'https://github.com/r/77', submitted_at: '2026-01-05T00:00:00Z' });
  });

  it('list_pull_request_reviews lists verdicts', async () => {
    nock(API)
      .get(`${R}/pulls/9/reviews`)
      .query({ page: '1', per_page: '30' })
      .reply(200, [{ id: 1, user: { login: 'bob' }, state: 'APPROVED', body: '', commit_id: SHA, submitted_at: '2026-01-04T00:00:00Z' }]);
    expect(await callOk(h.client, 'list_pull_request_reviews', { owner: 'octo', repo: 'app', pull_number: 9 })).toEqual({
      reviews: [{ id: 1, user: 'bob', state: 'APPROVED', body: '', commit_id: SHA, submitted_at: '2026-01-04T00:00:00Z' }],
      page: 1,
      per_page: 30,
      has_more: false,
    });
  });

  it('get_pull_request_status combines commit statuses and check runs of the head commit', async () => {
    nock(API).get(`${R}/pulls/9`).twice().reply(200, pr(9));
    nock(API)
      .get(`${R}/commits/${SHA}/status`)
      .query(true)
      .twice()
      .reply(200, { state: 'success', statuses: [{ context: 'ci/lint', state: 'success', description: 'ok', target_url: 'https://ci/1' }] });
    nock(API)
      .get(`${R}/commits/${SHA}/check-runs`)
      .query(true)
      .reply(200, {
        total_count: 2,
        check_runs: [
          { name: 'test', status: 'completed', conclusion: 'failure', html_url: 'https://gh/run/1' },
          { name: 'build', status: 'in_progress', conclusion: null, html_url: 'https://gh/run/2' },
        ],
      });
    const failing = await callOk(h.client, 'get_pull_request_status', { owner: 'octo', repo: 'app', pull_number: 9 });
    expect(failing).toEqual({
      head_sha: SHA,
      state: 'failure',
      total: 3,
      failing: ['test'],
      checks: [
        { name: 'ci/lint', kind: 'status', state: 'success', url: 'https://ci/1' },
        { name: 'test', kind: 'check_run', state: 'failure', url: 'https://gh/run/1' },
        { name: 'build', kind: 'check_run', state: 'pending', url: 'https://gh/run/2' },
      ],
    });
    nock(API)
      .get(`${R}/commits/${SHA}/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [{ name: 'build', status: 'in_progress', conclusion: null, html_url: 'u' }] });
    expect(await callOk(h.client, 'get_pull_request_status', { owner: 'octo', repo: 'app', pull_number: 9 })).toMatchObject({ state: 'pending', failing: [] });
  });
});
