// Arguments that would escape /repos/ and answers GitHub should never give: path-segment arguments follow
// GitHub's own name rules, and a non-JSON or wrongly shaped answer is named as GitHub's surprise.
import { describe, expect, it } from '@jest/globals';
import { API, callError, githubSuite, nock } from './helpers.js';

describe('github-mcp: untrusted arguments and answers', () => {
  const h = githubSuite();

  it.each([
    ['issue_read', { owner: '..', repo: '..', issue_number: 1 }],
    ['issue_read', { owner: 'octo', repo: '.', issue_number: 1 }],
    ['issue_read', { owner: '.', repo: 'app', issue_number: 1 }],
    ['list_issues', { owner: 'octo/..', repo: 'app' }],
    ['get_file_contents', { owner: 'octo', repo: 'app', path: 'src/../../x' }],
    ['get_commit', { owner: 'octo', repo: 'app', ref: '..' }],
  ])('%s %j is refused before any request to GitHub', async (tool, args) => {
    // Any request at all would be answered here (and left pending by a correct server).
    const trap = nock(API).get(/.*/).reply(200, {});
    const text = await callError(h.client, tool, args);
    expect(text).toMatch(/^Invalid arguments for /);
    expect(trap.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('a non-JSON answer is "GitHub answered something unexpected", logged with detail', async () => {
    nock(API).get('/repos/octo/app/issues').query(true).reply(200, '<html>proxy error page</html>', { 'content-type': 'text/html' });
    const text = await callError(h.client, 'list_issues', { owner: 'octo', repo: 'app' });
    expect(text).toBe('GitHub answered something unexpected for list_issues; try again shortly, and report it if it persists.');
    expect(h.logs.text()).toContain('GitHub answered something unexpected');
  });

  it('a wrongly shaped JSON answer is named the same way, never as JS internals', async () => {
    nock(API).get('/repos/octo/app/issues').query(true).reply(200, { items: 'not a list' });
    const text = await callError(h.client, 'list_issues', { owner: 'octo', repo: 'app' });
    expect(text).toMatch(/^GitHub answered something unexpected for list_issues/);
    expect(text).not.toMatch(/Cannot read|undefined|is not a function/);
    nock(API).get('/repos/octo/app/issues/7').reply(200, { number: 'seven' });
    expect(await callError(h.client, 'issue_read', { owner: 'octo', repo: 'app', issue_number: 7 })).toMatch(/^GitHub answered something unexpected for issue_read/);
  });
});
