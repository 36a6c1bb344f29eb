import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@factory/base-server';
import { createGithubService } from '../src/app.js';
import { parseGithubConfig } from '../src/config.js';
import { blockNetwork, callError, restoreNetwork, startGithub, testConfig } from './helpers.js';

const READ_TOOLS: Record<string, string[]> = {
  context: ['get_me'],
  repos: ['get_repository', 'list_branches', 'get_file_contents', 'list_commits', 'get_commit', 'search_commits', 'list_tags'],
  issues: ['list_issues', 'issue_read', 'search_issues'],
  pull_requests: ['list_pull_requests', 'pull_request_read', 'search_pull_requests'],
  users: ['search_users', 'get_teams', 'get_team_members'],
  labels: ['list_labels'],
  actions: ['list_workflow_runs', 'get_workflow_run', 'get_job_logs'],
  releases: ['list_releases', 'get_release_by_tag'],
  search: ['search_code', 'search_repositories'],
};
// The tools that change something on GitHub, with what they do: the truth the annotations are checked
// against. destructive: can replace or remove what exists; idempotent: repeating the call changes nothing more.
const WRITE_TOOLS: Record<string, Record<string, { destructive: boolean; idempotent: boolean }>> = {
  context: {},
  repos: {
    create_branch: { destructive: false, idempotent: false },
    create_or_update_file: { destructive: true, idempotent: true },
    push_files: { destructive: true, idempotent: false },
    delete_file: { destructive: true, idempotent: true },
    fork_repository: { destructive: false, idempotent: true },
    create_repository: { destructive: false, idempotent: false },
  },
  issues: {
    issue_write: { destructive: true, idempotent: false },
    sub_issue_write: { destructive: true, idempotent: false },
    add_issue_comment: { destructive: false, idempotent: false },
  },
  pull_requests: {
    create_pull_request: { destructive: false, idempotent: false },
    update_pull_request: { destructive: true, idempotent: true },
    merge_pull_request: { destructive: true, idempotent: true },
    update_pull_request_branch: { destructive: false, idempotent: false },
    pull_request_review_write: { destructive: true, idempotent: false },
  },
  users: {},
  labels: { label_write: { destructive: true, idempotent: false } },
  actions: { rerun_workflow_run: { destructive: false, idempotent: false } },
  releases: { create_release: { destructive: false, idempotent: false } },
  search: {},
};
const sets = (names: string[]) => names.flatMap((s) => [...(READ_TOOLS[s] ?? []), ...Object.keys(WRITE_TOOLS[s] ?? {})]).sort();
const ALL_WRITES: Record<string, { destructive: boolean; idempotent: boolean }> = Object.assign({}, ...Object.values(WRITE_TOOLS));

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
    expect(tools).toHaveLength(42);
    for (const t of tools) {
      expect(t.description?.length ?? 0).toBeGreaterThan(60);
      expect(t.title).toBeTruthy();
      expect(t.inputSchema.type).toBe('object');
      // The output-schema rule (README): writes list theirs, reads do not.
      expect({ name: t.name, outputSchema: Boolean(t.outputSchema) }).toEqual({ name: t.name, outputSchema: t.name in ALL_WRITES });
      const a = t.annotations ?? {};
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(typeof a[hint]).toBe('boolean');
      expect(a.openWorldHint).toBe(true);
      const write = ALL_WRITES[t.name];
      if (write) {
        expect({ name: t.name, readOnly: a.readOnlyHint, destructive: a.destructiveHint, idempotent: a.idempotentHint }).toEqual({ name: t.name, readOnly: false, ...write });
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
    const paged = tools.filter((x) => /^(list_|search_|get_team)/.test(x.name) || ['pull_request_read', 'issue_read'].includes(x.name));
    expect(paged.length).toBe(18);
    for (const t of paged) {
      const props = t.inputSchema.properties as Record<string, { maximum?: number }>;
      expect({ name: t.name, page: Boolean(props.page), max: props.per_page?.maximum }).toEqual({ name: t.name, page: true, max: 100 });
    }
  });

  it('registers the context, repos, issues, pull_requests and users toolsets by default', async () => {
    const tools = await listed({});
    expect(tools.map((t) => t.name).sort()).toEqual(sets(['context', 'repos', 'issues', 'pull_requests', 'users']));
  });

  it('registers only the chosen toolsets', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'actions,releases' });
    expect(tools.map((t) => t.name).sort()).toEqual(sets(['actions', 'releases']));
  });

  it('adds allow-listed tools from other toolsets and removes deny-listed ones', async () => {
    const tools = await listed({ GITHUB_TOOLSETS: 'context,issues', GITHUB_TOOLS_ALLOW: 'search_code,pull_request_read,label_write', GITHUB_TOOLS_DENY: 'get_me,issue_write' });
    expect(tools.map((t) => t.name).sort()).toEqual(
      [...READ_TOOLS.issues!, 'sub_issue_write', 'add_issue_comment', 'search_code', 'pull_request_read', 'label_write'].sort(),
    );
  });

  it('read-only mode registers no mutating tool at all, even allow-listed ones, and calls to them change nothing', async () => {
    const h = await startGithub({ GITHUB_TOOLSETS: 'all', GITHUB_READ_ONLY: 'true', GITHUB_TOOLS_ALLOW: 'issue_write,merge_pull_request,delete_file,label_write' });
    try {
      const tools = (await h.client.listTools()).tools;
      expect(tools.map((t) => t.name).sort()).toEqual(Object.values(READ_TOOLS).flat().sort());
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      // The network is closed and no GitHub answer is set up: a request would fail differently.
      for (const [name, args] of [
        ['issue_write', { method: 'create', owner: 'o', repo: 'r', title: 'x' }],
        ['delete_file', { owner: 'o', repo: 'r', path: 'a.txt', message: 'm', sha: 'a'.repeat(40) }],
        ['label_write', { method: 'delete', owner: 'o', repo: 'r', name: 'bug' }],
      ] as const) {
        expect(await callError(h.client, name, args)).toMatch(new RegExp(`Unknown tool "${name}"`));
      }
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
