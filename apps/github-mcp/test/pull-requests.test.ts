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

  it('pull_request_read details returns head and base SHAs and merge state', async () => {
    nock(API).get(`${R}/pulls/5`).reply(200, pr(5));
    expect((await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 5 })).pull_request).toEqual({
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

  it('pull_request_read diff asks for the diff format and bounds it at a line boundary', async () => {
    const diff = ['diff --git a/a.ts b/a.ts', '--- a/a.ts', '+++ b/a.ts', '@@ -1 +1 @@', ...Array.from({ length: 200 }, (_, i) => `+line ${i}`)].join('\n') + '\n';
    nock(API, { reqheaders: { accept: 'application/vnd.github.v3.diff' } })
      .get(`${R}/pulls/5`)
      .twice()
      .reply(200, diff, { 'content-type': 'text/plain; charset=utf-8' });
    const small = await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 5, view: 'diff', max_bytes: 1000 });
    expect(small.truncated).toBe(true);
    expect(small.bytes).toBe(Buffer.byteLength(diff));
    const text = small.diff as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    expect(text.endsWith('\n')).toBe(true);
    expect(diff.startsWith(text)).toBe(true);
    const full = await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 5, view: 'diff' });
    expect(full).toEqual({ view: 'diff', diff, bytes: Buffer.byteLength(diff), truncated: false });
  });

  it('pull_request_read files lists changed files with patches when asked', async () => {
    nock(API)
      .get(`${R}/pulls/5/files`)
      .query({ page: '1', per_page: '30' })
      .reply(200, [
        { filename: 'a.ts', status: 'modified', additions: 1, deletions: 1, changes: 2, patch: '@@ x', sha: SHA, blob_url: 'b' },
        { filename: 'b.ts', status: 'renamed', previous_filename: 'old.ts', additions: 0, deletions: 0, changes: 0, sha: SHA, blob_url: 'b' },
      ]);
    const out = await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 5, view: 'files', include_patch: true });
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

  it('pull_request_review_write submit sends a verdict with line comments, and requires a body to request changes', async () => {
    expect(await callError(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'submit', event: 'REQUEST_CHANGES' })).toMatch(/body: required for REQUEST_CHANGES/);
    nock(API)
      .post(`${R}/pulls/9/reviews`, { event: 'COMMENT', body: 'Looks close', comments: [{ path: 'a.ts', line: 3, side: 'RIGHT', body: 'nit' }] })
      .reply(200, { id: 77, state: 'COMMENTED', html_url: 'https://github.com/r/77', submitted_at: '2026-01-05T00:00:00Z' });
    expect(
      await callOk(h.client, 'pull_request_review_write', {
        owner: 'octo',
        repo: 'app',
        pull_number: 9,
        method: 'submit',
        event: 'COMMENT',
        body: 'Looks close',
        comments: [{ path: 'a.ts', line: 3, body: 'nit' }],
      }),
    ).toEqual({ id: 77, state: 'COMMENTED', html_url: 'https://github.com/r/77' });
  });

  it('pull_request_read reviews lists verdicts', async () => {
    nock(API)
      .get(`${R}/pulls/9/reviews`)
      .query({ page: '1', per_page: '30' })
      .reply(200, [{ id: 1, user: { login: 'bob' }, state: 'APPROVED', body: '', commit_id: SHA, submitted_at: '2026-01-04T00:00:00Z' }]);
    expect(await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 9, view: 'reviews' })).toEqual({
      view: 'reviews',
      reviews: [{ id: 1, user: 'bob', state: 'APPROVED', body: '', commit_id: SHA, submitted_at: '2026-01-04T00:00:00Z' }],
      page: 1,
      per_page: 30,
      has_more: false,
    });
  });

  it('pull_request_read status combines commit statuses and check runs of the head commit', async () => {
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
    const failing = await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 9, view: 'status' });
    expect(failing.status).toEqual({
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
    expect(await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 9, view: 'status' })).toMatchObject({ status: { state: 'pending', failing: [] } });
  });

  it('pull_request_read review_comments lists line comments with the ids a reply needs', async () => {
    nock(API)
      .get(`${R}/pulls/9/comments`)
      .query({ page: '2', per_page: '1' })
      .reply(
        200,
        [{ id: 501, user: { login: 'bob' }, path: 'a.ts', line: 3, side: 'RIGHT', body: 'why?', in_reply_to_id: undefined, created_at: '2026-01-04T00:00:00Z', html_url: 'https://github.com/c/501', diff_hunk: '@@' }],
        nextLink(`${R}/pulls/9/comments`, 2),
      );
    expect(await callOk(h.client, 'pull_request_read', { owner: 'octo', repo: 'app', pull_number: 9, view: 'review_comments', page: 2, per_page: 1 })).toEqual({
      view: 'review_comments',
      review_comments: [{ id: 501, user: 'bob', path: 'a.ts', line: 3, side: 'RIGHT', body: 'why?', in_reply_to_id: null, created_at: '2026-01-04T00:00:00Z', html_url: 'https://github.com/c/501' }],
      page: 2,
      per_page: 1,
      has_more: true,
    });
  });

  it('pull_request_review_write creates a pending review, submits it, or deletes it', async () => {
    nock(API)
      .post(`${R}/pulls/9/reviews`, (b) => b.event === undefined && b.comments?.[0]?.path === 'a.ts')
      .reply(200, { id: 80, state: 'PENDING', html_url: 'https://github.com/r/80' });
    expect(await callOk(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'create_pending', comments: [{ path: 'a.ts', line: 1, body: 'x' }] })).toEqual({
      id: 80,
      state: 'PENDING',
      html_url: 'https://github.com/r/80',
    });
    expect(await callError(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'submit_pending', event: 'APPROVE' })).toMatch(/review_id: required for method submit_pending/);
    nock(API).post(`${R}/pulls/9/reviews/80/events`, { event: 'APPROVE' }).reply(200, { id: 80, state: 'APPROVED', html_url: 'https://github.com/r/80' });
    expect(await callOk(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'submit_pending', review_id: 80, event: 'APPROVE' })).toMatchObject({ state: 'APPROVED' });
    nock(API).delete(`${R}/pulls/9/reviews/81`).reply(200, { id: 81, state: 'PENDING', html_url: 'https://github.com/r/81' });
    expect(await callOk(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'delete_pending', review_id: 81 })).toEqual({ id: 81, state: 'DELETED', html_url: null });
  });

  it('pull_request_review_write comment adds a line comment on the head commit, and reply answers a review comment', async () => {
    nock(API).get(`${R}/pulls/9`).reply(200, pr(9));
    nock(API)
      .post(`${R}/pulls/9/comments`, { commit_id: SHA, path: 'src/a.ts', line: 12, side: 'RIGHT', body: 'off by one', start_line: 10, start_side: 'RIGHT' })
      .reply(201, { id: 601, html_url: 'https://github.com/c/601' });
    expect(
      await callOk(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'comment', path: 'src/a.ts', line: 12, start_line: 10, body: 'off by one' }),
    ).toEqual({ id: 601, state: null, html_url: 'https://github.com/c/601' });
    nock(API).post(`${R}/pulls/9/comments/501/replies`, { body: 'fixed' }).reply(201, { id: 602, html_url: 'https://github.com/c/602' });
    expect(await callOk(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'reply', comment_id: 501, body: 'fixed' })).toMatchObject({ id: 602 });
    expect(await callError(h.client, 'pull_request_review_write', { owner: 'octo', repo: 'app', pull_number: 9, method: 'comment', path: '../x', line: 1, body: 'b' })).toMatch(/path/);
  });

  it('update_pull_request_branch merges the base in, only while the head is where the caller saw it', async () => {
    nock(API).put(`${R}/pulls/9/update-branch`, { expected_head_sha: SHA }).reply(202, { message: 'Updating pull request branch.', url: 'https://api.github.com/repos/octo/app/pulls/9' });
    expect(await callOk(h.client, 'update_pull_request_branch', { owner: 'octo', repo: 'app', pull_number: 9, expected_head_sha: SHA })).toEqual({
      message: 'Updating pull request branch.',
      url: 'https://api.github.com/repos/octo/app/pulls/9',
    });
    nock(API).put(`${R}/pulls/9/update-branch`).reply(422, { message: 'expected head sha didn’t match current head ref.' });
    expect(await callError(h.client, 'update_pull_request_branch', { owner: 'octo', repo: 'app', pull_number: 9, expected_head_sha: SHA2 })).toMatch(/422/);
  });

  it('search_pull_requests narrows the search to pull requests unless the query names a kind', async () => {
    const answer = { total_count: 1, incomplete_results: false, items: [{ repository_url: `${API}/repos/octo/app`, number: 4, title: 't', state: 'open', pull_request: {}, user: { login: 'a' }, updated_at: 'u', html_url: 'h' }] };
    nock(API).get('/search/issues').query({ q: 'is:pr repo:octo/app review-requested:@me', order: 'desc', page: '1', per_page: '30' }).reply(200, answer);
    expect(await callOk(h.client, 'search_pull_requests', { query: 'repo:octo/app review-requested:@me' })).toMatchObject({ total_count: 1, items: [{ repository: 'octo/app', number: 4, is_pull_request: true }] });
    nock(API).get('/search/issues').query({ q: 'repo:octo/app is:pr is:merged', order: 'desc', page: '1', per_page: '30' }).reply(200, answer);
    await callOk(h.client, 'search_pull_requests', { query: 'repo:octo/app is:pr is:merged' });
  });
});
