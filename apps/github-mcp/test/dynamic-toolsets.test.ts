// Dynamic toolsets (GITHUB_DYNAMIC_TOOLSETS=true) over stdio, with a real SDK v2 client in both
// protocol eras: the client starts with the discovery tools, enables a toolset, is told the list
// changed, lists again, and calls a new tool against GitHub (nock). The configuration bounds what
// enabling can add; over HTTP the mode is refused.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@factory/base-server';
import { createGithubService } from '../src/app.js';
import { API, blockNetwork, callError, callOk, nock, restoreNetwork, startGithubStdio, testConfig } from './helpers.js';

const DISCOVERY = ['enable_toolset', 'get_toolset_tools', 'list_available_toolsets'];
const names = (tools: Array<{ name: string }>) => tools.map((t) => t.name).sort();

beforeAll(blockNetwork);
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(restoreNetwork);

describe('dynamic toolsets over stdio', () => {
  it.each(['legacy', 'modern'] as const)('a %s-era client enables issues, is told the list changed, and calls list_issues', async (era) => {
    const h = await startGithubStdio({ GITHUB_DYNAMIC_TOOLSETS: 'true' }, era);
    try {
      expect(h.client.getProtocolEra()).toBe(era);
      expect(names((await h.client.listTools()).tools)).toEqual(DISCOVERY);
      expect(await callError(h.client, 'list_issues', { owner: 'octo', repo: 'app' })).toMatch(/^Unknown tool "list_issues"/);

      const available = (await callOk(h.client, 'list_available_toolsets')).toolsets as Array<{ name: string; enabled: boolean; tools: number }>;
      expect(available.map((t) => t.name)).toEqual(['context', 'repos', 'issues', 'pull_requests', 'users']);
      expect(available.find((t) => t.name === 'issues')).toMatchObject({ enabled: false, tools: 6 });
      const issueTools = (await callOk(h.client, 'get_toolset_tools', { toolset: 'issues' })).tools as Array<{ name: string; writes: boolean }>;
      expect(issueTools.filter((t) => t.writes).map((t) => t.name)).toEqual(['issue_write', 'sub_issue_write', 'add_issue_comment']);

      const announced = h.nextChange();
      const enabled = await callOk(h.client, 'enable_toolset', { toolset: 'issues' });
      expect(enabled).toEqual({ toolset: 'issues', added: issueTools.map((t) => t.name) });
      // The client re-lists on the notification; a later list shows the same tools.
      expect(names(await announced)).toEqual([...DISCOVERY, ...issueTools.map((t) => t.name)].sort());
      expect(names((await h.client.listTools()).tools)).toEqual([...DISCOVERY, ...issueTools.map((t) => t.name)].sort());

      nock(API)
        .get('/repos/octo/app/issues')
        .query(true)
        .reply(200, [{ number: 1, title: 'Bug', state: 'open', user: { login: 'alice' }, labels: [], assignees: [], comments: 0, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', html_url: 'https://github.com/octo/app/issues/1' }]);
      const listed = await callOk(h.client, 'list_issues', { owner: 'octo', repo: 'app' });
      expect((listed.issues as Array<{ number: number }>).map((i) => i.number)).toEqual([1]);

      // Enabling it again adds nothing and announces nothing.
      expect(await callOk(h.client, 'enable_toolset', { toolset: 'issues' })).toEqual({ toolset: 'issues', added: [] });
      expect(((await callOk(h.client, 'list_available_toolsets')).toolsets as Array<{ name: string; enabled: boolean }>).find((t) => t.name === 'issues')?.enabled).toBe(true);
      expect(h.changes).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('enables only what the configuration registered: read-only mode and the deny list hold, GITHUB_TOOLSETS bounds the toolsets', async () => {
    const h = await startGithubStdio({ GITHUB_DYNAMIC_TOOLSETS: 'true', GITHUB_READ_ONLY: 'true', GITHUB_TOOLSETS: 'issues,pull_requests', GITHUB_TOOLS_DENY: 'search_issues' });
    try {
      const announced = h.nextChange();
      expect(await callOk(h.client, 'enable_toolset', { toolset: 'issues' })).toEqual({ toolset: 'issues', added: ['list_issues', 'issue_read'] });
      await announced;
      expect(names((await h.client.listTools()).tools)).toEqual([...DISCOVERY, 'issue_read', 'list_issues'].sort());
      expect(await callError(h.client, 'issue_write', { method: 'create', owner: 'octo', repo: 'app', title: 'x' })).toMatch(/^Unknown tool "issue_write"/);
      expect(await callError(h.client, 'enable_toolset', { toolset: 'actions' })).toMatch(/toolset.*expected one of "issues"\|"pull_requests"/s);
    } finally {
      await h.close();
    }
  });

  it('shows allow-listed tools from the start, outside any toolset to enable', async () => {
    const h = await startGithubStdio({ GITHUB_DYNAMIC_TOOLSETS: 'true', GITHUB_TOOLSETS: 'context', GITHUB_TOOLS_ALLOW: 'search_code' });
    try {
      expect(names((await h.client.listTools()).tools)).toEqual([...DISCOVERY, 'search_code'].sort());
      expect(((await callOk(h.client, 'list_available_toolsets')).toolsets as Array<{ name: string }>).map((t) => t.name)).toEqual(['context']);
    } finally {
      await h.close();
    }
  });

  it('serves the configured toolsets as before when the mode is off: no discovery tools, listChanged not advertised', async () => {
    const h = await startGithubStdio({ GITHUB_TOOLSETS: 'labels' });
    try {
      expect(names((await h.client.listTools()).tools)).toEqual(['label_write', 'list_labels']);
      expect(h.client.getServerCapabilities()?.tools?.listChanged).toBe(false);
    } finally {
      await h.close();
    }
  });
});

describe('dynamic toolsets over HTTP', () => {
  it('are refused at start-up with a line saying why and what to use instead', () => {
    expect(() => createGithubService(testConfig({ GITHUB_DYNAMIC_TOOLSETS: 'true' }))).toThrow(ConfigError);
    expect(() => createGithubService(testConfig({ GITHUB_DYNAMIC_TOOLSETS: 'true' }))).toThrow(/GITHUB_DYNAMIC_TOOLSETS: served over stdio only.*GITHUB_TOOLSETS/);
  });
});
