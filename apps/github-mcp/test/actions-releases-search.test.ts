import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { API, SHA, blockNetwork, callError, callOk, nextLink, nock, restoreNetwork, startGithub, type Harness } from './helpers.js';

const R = '/repos/octo/app';
const run = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'CI',
  display_title: 'fix: thing',
  status: 'completed',
  conclusion: 'failure',
  event: 'push',
  head_branch: 'main',
  head_sha: SHA,
  run_number: 12,
  run_attempt: 1,
  created_at: '2026-01-01T00:00:00Z',
  html_url: `https://github.com/octo/app/actions/runs/${id}`,
  repository: { full_name: 'octo/app' },
  ...extra,
});
const runSummary = (id: number) => ({
  id,
  name: 'CI',
  title: 'fix: thing',
  status: 'completed',
  conclusion: 'failure',
  event: 'push',
  branch: 'main',
  head_sha: SHA,
  run_number: 12,
  attempt: 1,
  created_at: '2026-01-01T00:00:00Z',
  html_url: `https://github.com/octo/app/actions/runs/${id}`,
});
const release = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  tag_name: `v1.${id}.0`,
  name: `Release ${id}`,
  draft: false,
  prerelease: false,
  author: { login: 'alice' },
  published_at: '2026-01-01T00:00:00Z',
  html_url: `https://github.com/octo/app/releases/${id}`,
  body: 'notes',
  assets: [],
  ...extra,
});

describe('actions, releases and search toolsets', () => {
  let h: Harness;
  beforeAll(async () => {
    blockNetwork();
    h = await startGithub({ GITHUB_TOOLSETS: 'actions,releases,search' });
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(async () => {
    await h.close();
    restoreNetwork();
  });

  it('list_workflow_runs lists runs of the repository or of one workflow file', async () => {
    nock(API)
      .get(`${R}/actions/runs`)
      .query({ page: '1', per_page: '30', branch: 'main', status: 'failure' })
      .reply(200, { total_count: 40, workflow_runs: [run(1)] }, nextLink(`${R}/actions/runs`, 1));
    expect(await callOk(h.client, 'list_workflow_runs', { owner: 'octo', repo: 'app', branch: 'main', status: 'failure' })).toEqual({
      total_count: 40,
      runs: [runSummary(1)],
      page: 1,
      per_page: 30,
      has_more: true,
    });
    nock(API).get(`${R}/actions/workflows/ci.yml/runs`).query({ page: '1', per_page: '5' }).reply(200, { total_count: 1, workflow_runs: [run(2)] });
    expect(await callOk(h.client, 'list_workflow_runs', { owner: 'octo', repo: 'app', workflow: 'ci.yml', per_page: 5 })).toMatchObject({ runs: [runSummary(2)], has_more: false });
  });

  it('get_workflow_run includes jobs with their failed steps', async () => {
    nock(API).get(`${R}/actions/runs/1`).reply(200, run(1));
    nock(API)
      .get(`${R}/actions/runs/1/jobs`)
      .query({ per_page: '100' })
      .reply(200, {
        total_count: 1,
        jobs: [
          {
            id: 501,
            name: 'test',
            status: 'completed',
            conclusion: 'failure',
            started_at: '2026-01-01T00:00:00Z',
            completed_at: '2026-01-01T00:05:00Z',
            steps: [
              { name: 'checkout', conclusion: 'success', number: 1 },
              { name: 'pnpm test', conclusion: 'failure', number: 2 },
            ],
          },
        ],
      });
    expect(await callOk(h.client, 'get_workflow_run', { owner: 'octo', repo: 'app', run_id: 1 })).toEqual({
      ...runSummary(1),
      jobs: [{ id: 501, name: 'test', status: 'completed', conclusion: 'failure', started_at: '2026-01-01T00:00:00Z', completed_at: '2026-01-01T00:05:00Z', failed_steps: ['pnpm test'] }],
    });
  });

  it('rerun_workflow_run re-runs all jobs or only the failed ones', async () => {
    nock(API).post(`${R}/actions/runs/1/rerun`).reply(201, {});
    expect(await callOk(h.client, 'rerun_workflow_run', { owner: 'octo', repo: 'app', run_id: 1 })).toEqual({ run_id: 1, requested: true, failed_only: false });
    nock(API).post(`${R}/actions/runs/1/rerun-failed-jobs`).reply(201, {});
    expect(await callOk(h.client, 'rerun_workflow_run', { owner: 'octo', repo: 'app', run_id: 1, failed_only: true })).toMatchObject({ failed_only: true });
  });

  it('get_job_logs follows the redirect and returns a bounded tail without timestamps', async () => {
    const log = Array.from({ length: 500 }, (_, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.1234567Z line ${i}`).join('\n') + '\n';
    nock(API).get(`${R}/actions/jobs/501/logs`).twice().reply(302, '', { location: 'https://results.actions.example.net/logs/501.txt?sig=x' });
    nock('https://results.actions.example.net').get('/logs/501.txt').query(true).twice().reply(200, log, { 'content-type': 'text/plain' });
    const out = await callOk(h.client, 'get_job_logs', { owner: 'octo', repo: 'app', job_id: 501, tail_lines: 3 });
    expect(out).toEqual({ job_id: 501, total_lines: 500, returned_lines: 3, truncated: true, log: 'line 497\nline 498\nline 499' });
    const bounded = await callOk(h.client, 'get_job_logs', { owner: 'octo', repo: 'app', job_id: 501, tail_lines: 500, max_bytes: 1000 });
    expect(Buffer.byteLength(bounded.log as string)).toBeLessThanOrEqual(1000);
    expect(bounded.truncated).toBe(true);
    expect((bounded.log as string).endsWith('line 499')).toBe(true);
  });

  it('list_releases trims releases and pages', async () => {
    nock(API).get(`${R}/releases`).query({ page: '1', per_page: '2' }).reply(200, [release(2), release(1)], nextLink(`${R}/releases`, 1));
    const out = await callOk(h.client, 'list_releases', { owner: 'octo', repo: 'app', per_page: 2 });
    expect(out.releases).toEqual([
      { id: 2, tag_name: 'v1.2.0', name: 'Release 2', draft: false, prerelease: false, author: 'alice', published_at: '2026-01-01T00:00:00Z', html_url: 'https://github.com/octo/app/releases/2' },
      { id: 1, tag_name: 'v1.1.0', name: 'Release 1', draft: false, prerelease: false, author: 'alice', published_at: '2026-01-01T00:00:00Z', html_url: 'https://github.com/octo/app/releases/1' },
    ]);
    expect(out.has_more).toBe(true);
  });

  it('create_release creates a draft release for a new tag', async () => {
    nock(API)
      .post(`${R}/releases`, { tag_name: 'v2.0.0', target_commitish: 'main', name: 'Two', draft: true, prerelease: false, generate_release_notes: true })
      .reply(201, release(3, { tag_name: 'v2.0.0', name: 'Two', draft: true, published_at: null }));
    expect(
      await callOk(h.client, 'create_release', { owner: 'octo', repo: 'app', tag_name: 'v2.0.0', target_commitish: 'main', name: 'Two', draft: true, generate_release_notes: true }),
    ).toMatchObject({ id: 3, tag_name: 'v2.0.0', draft: true, published_at: null });
  });

  it('search_code asks for text matches and returns short fragments', async () => {
    nock(API, { reqheaders: { accept: 'application/vnd.github.text-match+json' } })
      .get('/search/code')
      .query({ q: 'createServer repo:octo/app', page: '1', per_page: '30' })
      .reply(200, {
        total_count: 1,
        incomplete_results: false,
        items: [{ name: 'a.ts', path: 'src/a.ts', sha: SHA, html_url: 'u', repository: { full_name: 'octo/app', id: 1 }, score: 1, text_matches: [{ fragment: 'createServer(app)' }] }],
      });
    expect(await callOk(h.client, 'search_code', { query: 'createServer repo:octo/app' })).toEqual({
      total_count: 1,
      incomplete_results: false,
      items: [{ repository: 'octo/app', path: 'src/a.ts', sha: SHA, html_url: 'u', fragments: ['createServer(app)'] }],
      page: 1,
      per_page: 30,
      has_more: false,
    });
  });

  it('search_repositories returns trimmed repositories and rejects an empty query', async () => {
    expect(await callError(h.client, 'search_repositories', { query: '' })).toMatch(/query/);
    nock(API)
      .get('/search/repositories')
      .query({ q: 'mcp language:typescript', order: 'desc', page: '1', per_page: '30', sort: 'stars' })
      .reply(200, {
        total_count: 1,
        incomplete_results: false,
        items: [{ full_name: 'o/mcp', description: null, language: 'TypeScript', stargazers_count: 900, archived: false, updated_at: '2026-01-01T00:00:00Z', html_url: 'u', owner: {} }],
      });
    expect(await callOk(h.client, 'search_repositories', { query: 'mcp language:typescript', sort: 'stars' })).toMatchObject({
      items: [{ full_name: 'o/mcp', description: null, language: 'TypeScript', stargazers_count: 900, archived: false, updated_at: '2026-01-01T00:00:00Z', html_url: 'u' }],
    });
  });
});
