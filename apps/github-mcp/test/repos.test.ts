import { describe, expect, it } from '@jest/globals';
import { API, SHA, SHA2, callError, callOk, nextLink, nock, githubSuite } from './helpers.js';

const R = '/repos/octo/app';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('repos toolset', () => {
  const h = githubSuite();

  it('get_repository trims the repository to the facts an agent needs', async () => {
    nock(API)
      .get(R)
      .reply(200, {
        full_name: 'octo/app',
        description: 'An app',
        private: true,
        visibility: 'private',
        default_branch: 'main',
        language: 'TypeScript',
        topics: ['mcp'],
        stargazers_count: 5,
        forks_count: 1,
        open_issues_count: 3,
        archived: false,
        fork: false,
        license: { spdx_id: 'MIT' },
        permissions: { admin: false, push: true, pull: true, maintain: false, triage: true },
        html_url: 'https://github.com/octo/app',
        pushed_at: '2026-01-01T00:00:00Z',
        owner: { login: 'octo', id: 1 },
        node_id: 'R_1',
        clone_url: 'https://github.com/octo/app.git',
      });
    const out = await callOk(h.client, 'get_repository', { owner: 'octo', repo: 'app' });
    expect(out).toEqual({
      full_name: 'octo/app',
      description: 'An app',
      visibility: 'private',
      default_branch: 'main',
      language: 'TypeScript',
      topics: ['mcp'],
      stargazers_count: 5,
      forks_count: 1,
      open_issues_count: 3,
      archived: false,
      fork: false,
      license: 'MIT',
      permissions: { admin: false, push: true, pull: true },
      html_url: 'https://github.com/octo/app',
      pushed_at: '2026-01-01T00:00:00Z',
    });
  });

  it('list_branches passes page and per_page and reports has_more from the Link header', async () => {
    nock(API)
      .get(`${R}/branches`)
      .query({ page: '2', per_page: '2' })
      .reply(200, [{ name: 'main', commit: { sha: SHA, url: 'x' }, protected: true }, { name: 'dev', commit: { sha: SHA2, url: 'x' }, protected: false }], nextLink(`${R}/branches`, 2));
    const out = await callOk(h.client, 'list_branches', { owner: 'octo', repo: 'app', page: 2, per_page: 2 });
    expect(out).toEqual({ branches: [{ name: 'main', sha: SHA, protected: true }, { name: 'dev', sha: SHA2, protected: false }], page: 2, per_page: 2, has_more: true });
    nock(API).get(`${R}/branches`).query({ page: '3', per_page: '2' }).reply(200, []);
    expect(await callOk(h.client, 'list_branches', { owner: 'octo', repo: 'app', page: 3, per_page: 2 })).toMatchObject({ branches: [], has_more: false });
  });

  it('create_branch starts from the default branch head when no source is given', async () => {
    nock(API).get(R).reply(200, { default_branch: 'trunk' });
    nock(API).get(`${R}/git/ref/heads%2Ftrunk`).reply(200, { ref: 'refs/heads/trunk', object: { sha: SHA, type: 'commit' } });
    nock(API)
      .post(`${R}/git/refs`, { ref: 'refs/heads/feature/x', sha: SHA })
      .reply(201, { ref: 'refs/heads/feature/x', object: { sha: SHA, type: 'commit' } });
    expect(await callOk(h.client, 'create_branch', { owner: 'octo', repo: 'app', branch: 'feature/x' })).toEqual({ branch: 'feature/x', ref: 'refs/heads/feature/x', sha: SHA });
  });

  it('create_branch from a SHA creates the ref directly, and refuses both a branch and a SHA without calling GitHub', async () => {
    nock(API).post(`${R}/git/refs`, { ref: 'refs/heads/fix', sha: SHA2 }).reply(201, { ref: 'refs/heads/fix', object: { sha: SHA2 } });
    expect(await callOk(h.client, 'create_branch', { owner: 'octo', repo: 'app', branch: 'fix', from_sha: SHA2 })).toMatchObject({ sha: SHA2 });
    const text = await callError(h.client, 'create_branch', { owner: 'octo', repo: 'app', branch: 'fix2', from_sha: SHA2, from_branch: 'main' });
    expect(text).toMatch(/from_branch or from_sha, not both/);
    expect(await callError(h.client, 'create_branch', { owner: 'octo', repo: 'app', branch: 'bad..name' })).toMatch(/branch: not a valid git branch or tag name/);
  });

  it('get_file_contents returns a text file decoded', async () => {
    nock(API)
      .get(`${R}/contents/src%2Findex.ts`)
      .query({ ref: 'dev' })
      .reply(200, { type: 'file', path: 'src/index.ts', sha: SHA, size: 12, encoding: 'base64', content: b64('hello\nworld\n'), html_url: 'https://github.com/h' });
    expect(await callOk(h.client, 'get_file_contents', { owner: 'octo', repo: 'app', path: 'src/index.ts', ref: 'dev' })).toEqual({
      type: 'file',
      path: 'src/index.ts',
      sha: SHA,
      size: 12,
      html_url: 'https://github.com/h',
      content: 'hello\nworld\n',
    });
  });

  it('get_file_contents lists a directory', async () => {
    nock(API)
      .get(`${R}/contents`)
      .reply(200, [
        { type: 'dir', name: 'src', path: 'src', size: 0, sha: SHA },
        { type: 'file', name: 'README.md', path: 'README.md', size: 40, sha: SHA2 },
      ]);
    expect(await callOk(h.client, 'get_file_contents', { owner: 'octo', repo: 'app' })).toEqual({
      type: 'dir',
      path: '',
      sha: null,
      size: null,
      html_url: null,
      entries: [
        { name: 'src', path: 'src', type: 'dir', size: 0 },
        { name: 'README.md', path: 'README.md', type: 'file', size: 40 },
      ],
    });
  });

  it('get_file_contents returns binary and over-large files as metadata only', async () => {
    nock(API)
      .get(`${R}/contents/logo.png`)
      .reply(200, { type: 'file', path: 'logo.png', sha: SHA, size: 6, encoding: 'base64', content: b64(Buffer.from([0x89, 0x50, 0x00, 0x01, 0xff, 0xfe])), html_url: 'u' });
    const bin = await callOk(h.client, 'get_file_contents', { owner: 'octo', repo: 'app', path: 'logo.png' });
    expect(bin).toMatchObject({ type: 'file', size: 6, omitted_reason: 'binary file' });
    expect(bin.content).toBeUndefined();
    nock(API).get(`${R}/contents/big.txt`).reply(200, { type: 'file', path: 'big.txt', sha: SHA, size: 5000, encoding: 'base64', content: b64('x'.repeat(5000)), html_url: 'u' });
    const big = await callOk(h.client, 'get_file_contents', { owner: 'octo', repo: 'app', path: 'big.txt', max_bytes: 1000 });
    expect(big).toMatchObject({ size: 5000, omitted_reason: 'file is 5000 bytes, above max_bytes 1000' });
    expect(big.content).toBeUndefined();
    expect(await callError(h.client, 'get_file_contents', { owner: 'octo', repo: 'app', path: '../secrets' })).toMatch(/path: must not contain/);
  });

  it('create_or_update_file sends the content base64-encoded with the blob sha to replace', async () => {
    nock(API)
      .put(`${R}/contents/docs%2Fa.md`, { message: 'docs: a', content: b64('# A\n'), branch: 'dev', sha: SHA })
      .reply(200, { content: { sha: SHA2, path: 'docs/a.md' }, commit: { sha: SHA, html_url: 'https://github.com/c' } });
    expect(
      await callOk(h.client, 'create_or_update_file', { owner: 'octo', repo: 'app', path: 'docs/a.md', content: '# A\n', message: 'docs: a', branch: 'dev', sha: SHA }),
    ).toEqual({ path: 'docs/a.md', commit_sha: SHA, content_sha: SHA2, html_url: 'https://github.com/c' });
  });

  it('push_files makes one commit with every file through the git data API and fast-forwards the branch', async () => {
    const tree = 'c'.repeat(40);
    const newTree = 'd'.repeat(40);
    const commit = 'e'.repeat(40);
    nock(API).get(`${R}/git/ref/heads%2Fdev`).reply(200, { object: { sha: SHA } });
    nock(API).get(`${R}/git/commits/${SHA}`).reply(200, { sha: SHA, tree: { sha: tree } });
    nock(API)
      .post(`${R}/git/trees`, {
        base_tree: tree,
        tree: [
          { path: 'a.txt', mode: '100644', type: 'blob', content: 'A' },
          { path: 'dir/b.txt', mode: '100644', type: 'blob', content: 'B' },
        ],
      })
      .reply(201, { sha: newTree });
    nock(API).post(`${R}/git/commits`, { message: 'two files', tree: newTree, parents: [SHA] }).reply(201, { sha: commit, html_url: 'https://github.com/commit' });
    nock(API).patch(`${R}/git/refs/heads%2Fdev`, { sha: commit, force: false }).reply(200, { object: { sha: commit } });
    const out = await callOk(h.client, 'push_files', {
      owner: 'octo',
      repo: 'app',
      branch: 'dev',
      message: 'two files',
      files: [
        { path: 'a.txt', content: 'A' },
        { path: 'dir/b.txt', content: 'B' },
      ],
    });
    expect(out).toEqual({ branch: 'dev', commit_sha: commit, html_url: 'https://github.com/commit', files: 2 });
  });

  it('list_commits forwards its filters and trims each commit', async () => {
    nock(API)
      .get(`${R}/commits`)
      .query({ page: '1', per_page: '30', sha: 'dev', path: 'src', author: 'octocat', since: '2026-01-01T00:00:00Z' })
      .reply(200, [
        { sha: SHA, html_url: 'u1', author: { login: 'octocat' }, commit: { message: 'feat: x\n\nlong body', author: { name: 'Octo Cat', date: '2026-01-02T00:00:00Z' } } },
        { sha: SHA2, html_url: 'u2', author: null, commit: { message: 'y'.repeat(400), author: { name: 'Ghost', date: '2026-01-01T00:00:00Z' } } },
      ]);
    const out = await callOk(h.client, 'list_commits', { owner: 'octo', repo: 'app', sha: 'dev', path: 'src', author: 'octocat', since: '2026-01-01T00:00:00Z' });
    const commits = out.commits as Array<Record<string, string>>;
    expect(commits[0]).toEqual({ sha: SHA, message: 'feat: x\n\nlong body', author: 'octocat', date: '2026-01-02T00:00:00Z', html_url: 'u1' });
    expect(commits[1]?.author).toBe('Ghost');
    expect(commits[1]?.message).toMatch(/^y{300}\n…\[truncated 100 characters\]$/);
    expect(out.has_more).toBe(false);
  });

  it('get_commit returns stats and files, with patches only when asked', async () => {
    const body = {
      sha: SHA,
      html_url: 'u',
      author: { login: 'octocat' },
      commit: { message: 'fix', author: { name: 'O', date: '2026-01-01T00:00:00Z' } },
      parents: [{ sha: SHA2 }],
      stats: { additions: 3, deletions: 1, total: 4 },
      files: [{ filename: 'a.ts', status: 'modified', additions: 3, deletions: 1, changes: 4, patch: '@@ -1 +1 @@\n-a\n+b' }],
    };
    nock(API).get(`${R}/commits/main`).twice().reply(200, body);
    const without = await callOk(h.client, 'get_commit', { owner: 'octo', repo: 'app', ref: 'main' });
    expect(without).toEqual({
      sha: SHA,
      message: 'fix',
      author: 'octocat',
      date: '2026-01-01T00:00:00Z',
      parents: [SHA2],
      stats: { additions: 3, deletions: 1, total: 4 },
      files: [{ filename: 'a.ts', status: 'modified', additions: 3, deletions: 1 }],
      files_total: 1,
      html_url: 'u',
    });
    const withPatch = await callOk(h.client, 'get_commit', { owner: 'octo', repo: 'app', ref: 'main', include_patch: true });
    expect((withPatch.files as Array<{ patch?: string }>)[0]?.patch).toBe('@@ -1 +1 @@\n-a\n+b');
  });
});
