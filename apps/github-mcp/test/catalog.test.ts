import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@factory/base-server';
import { createGithubService } from '../src/app.js';
import { parseGithubConfig } from '../src/config.js';
import { blockNetwork, callError, restoreNetwork, startGithub, testConfig } from './helpers.js';

const READ_TOOLS: Record<string, string[]> = {
  context: ['get_me'],
  repos: ['get_repository', 'list_branches', 'get_file_contents', 'list_commits', 'get_commit'],
  issues: ['list_issues', 'get_issue', 'list_issue_comments', 'search_issues'],
  pull_requests: ['list_pull_requests', 'get_pull_request', 'get_pull_request_diff', 'get_pull_request_files', 'list_pull_request_reviews', 'get_pull_request_status'],
  actions: ['list_workflow_runs', 'get_workflow_run', 'get_job_logs'],
  releases: ['list_releases'],
  search: ['search_code', 'search_repositories'],
};
// The tools that change something on GitHub: the truth the annotations are checked against.
const WRITE_TOOLS: Record<string, string[]> = {
  context: [],
  repos: ['create_branch', 'create_or_update_file', 'push_files'],
  issues: ['create_issue', 'update_issue', 'add_issue_comment'],
  pull_requests: ['create_pull_request', 'update_pull_request', 'merge_pull_request', 'create_pull_request_review'],
  actions: ['rerun_workflow_run'],
  releases: ['create_release'],
  search: [],
};
const sets = (names: string[]) => names.flatMap((s) => [...(READ_TOOLS[s] ?? []), ...(WRITE_TOOLS[s] ?? [])]).sort();
const ALL_WRITES = new Set(Object.values(WRITE_TOOLS).flat());

async function listed(env: Record<string, string>) {
  const h = await startGithub(env);
  try {
    return (await h.client.listTools()).tools;
  } finally {
    await h.close();
  }
}

describe('tool catalog', () => {
  beforeAll(blockNetwork);
  afterAll(restoreNetwork);

  it('lists every tool with a description, input and output schemas, and annotations that match what it does', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'all' });
    expect(tools.map((t) => t.name).sort()).toEqual(sets(Object.keys(READ_TOOLS)));
    expect(tools).toHaveLength(34);
    for (const t of tools) {
      expect(t.description?.length ?? 0).toBeGreaterThan(60);
      expect(t.title).toBeTruthy();
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      const a = t.annotations ?? {};
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(typeof a[hint]).toBe('boolean');
      expect(a.openWorldHint).toBe(true);
      if (ALL_WRITES.has(t.name)) {
        expect({ name: t.name, readOnly: a.readOnlyHint }).toEqual({ name: t.name, readOnly: false });
      } else {
        expect({ name: t.name, readOnly: a.readOnlyHint, destructive: a.destructiveHint, idempotent: a.idempotentHint }).toEqual({
          name: t.name,
          readOnly: true,
          destructive: false,
          idempotent: true,
        });
      }
    }
  });

  it('describes pagination inputs on every list and search tool', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'all' });
    for (const t of tools.filter((x) => /^(list_|search_)/.test(x.name) || x.name === 'get_pull_request_files')) {
      const props = t.inputSchema.properties as Record<string, { maximum?: number }>;
      expect({ name: t.name, page: Boolean(props.page), max: props.per_page?.maximum }).toEqual({ name: t.name, page: true, max: 100 });
      expect(Object.keys((t.outputSchema?.properties ?? {}) as object)).toContain('has_more');
    }
  });

  it('registers the context, repos, issues and pull_requests toolsets by default', async () => {
    const tools = await listed({});
    expect(tools.map((t) => t.name).sort()).toEqual(sets(['context', 'repos', 'issues', 'pull_requests']));
  });

  it('registers only the chosen toolsets', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'actions,releases' });
    expect(tools.map((t) => t.name).sort()).toEqual(sets(['actions', 'releases']));
  });

  it('adds allow-listed tools from other toolsets and removes deny-listed ones', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'context,issues', GITHUB_TOOLS_ALLOW: 'search_code,get_pull_request', GITHUB_TOOLS_DENY: 'get_me,create_issue' });
    expect(tools.map((t) => t.name).sort()).toEqual(
      [...READ_TOOLS.issues!, 'update_issue', 'add_issue_comment', 'search_code', 'get_pull_request'].sort(),
    );
  });

  it('read-only mode registers no mutating tool at all, even allow-listed ones, and calls to them change nothing', async () => {
    const h = await startGithub({ GITHUB_TOOLSETS: 'all', GITHUB_READ_ONLY: 'true', GITHUB_TOOLS_ALLOW: 'create_issue,merge_pull_request' });
    try {
      const tools = (await h.client.listTools()).tools;
      expect(tools.map((t) => t.name).sort()).toEqual(Object.values(READ_TOOLS).flat().sort());
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      // The network is closed and no GitHub answer is set up: a request would fail differently.
      const text = await callError(h.client, 'create_issue', { owner: 'o', repo: 'r', title: 'x' });
      expect(text).toMatch(/Unknown tool "create_issue"/);
    } finally {
      await h.close();
    }
  });

  it('refuses unknown toolsets and unknown tool names with a message naming the setting', () => {
    expect(() => parseGithubConfig({ GITHUB_TOOLSETS: 'repos,wiki' })).toThrow(/GITHUB_TOOLSETS: unknown toolset "wiki"/);
    expect(() => createGithubService(testConfig({ GITHUB_TOOLS_ALLOW: 'get_me,delete_repo' }))).toThrow(ConfigError);
    expect(() => createGithubService(testConfig({ GITHUB_TOOLS_DENY: 'nope' }))).toThrow(/GITHUB_TOOLS_DENY: unknown tool "nope"/);
  });
});
