// Dynamic toolsets (GITHUB_DYNAMIC_TOOLSETS=true, stdio only): the server starts with these three
// discovery tools and shows a toolset's tools when the model enables it, as the official
// github-mcp-server's dynamic mode does (list_available_toolsets, get_toolset_tools, enable_toolset).
// The view only ever shows tools the configuration registered, so GITHUB_TOOLSETS, the allow and deny
// lists and read-only mode bound what enabling can add.
import { defineTool, z, type AnyTool, type ToolView } from '@factory/base-server';
import type { Toolset } from '../config.js';
import type { GithubTool } from './common.js';

/** What each toolset is for, as the model reads it in list_available_toolsets. */
export const TOOLSET_DESCRIPTIONS: Record<Toolset, string> = {
  context: 'Who the server acts as (get_me)',
  repos: 'Repositories, branches, files, commits, tags, forks',
  issues: 'Issues: list, read, search, create, update, comment, sub-issues',
  pull_requests: 'Pull requests: list, read, search, create, update, merge, reviews',
  users: 'Users and teams',
  labels: "A repository's labels",
  actions: 'GitHub Actions workflow runs, jobs and logs',
  releases: 'Releases and their tags',
  search: 'Code and repository search',
};

// They change which tools this connection sees, nothing on GitHub: read-only, and kept in read-only mode.
const DISCOVERY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export const DISCOVERY_TOOL_NAMES = ['list_available_toolsets', 'get_toolset_tools', 'enable_toolset'] as const;

/** The discovery tools over `tools` (what the configuration registered) and the connection's `view`. */
export function dynamicToolsetTools(tools: readonly GithubTool[], view: ToolView): AnyTool[] {
  const byToolset = new Map<Toolset, GithubTool[]>();
  for (const t of tools) byToolset.set(t.toolset, [...(byToolset.get(t.toolset) ?? []), t]);
  const names = [...byToolset.keys()];
  if (names.length === 0) return [];
  const toolsetArg = z.enum(names as [Toolset, ...Toolset[]]).describe('Toolset name, from list_available_toolsets');
  const enabled = (toolset: Toolset) => (byToolset.get(toolset) ?? []).every((t) => view.has(t.tool.name));
  return [
    defineTool({
      name: 'list_available_toolsets',
      title: 'List toolsets',
      description:
        'Lists the GitHub toolsets this server can enable, with what each is for and whether it is enabled. Use it when the task needs GitHub tools you do not have yet.',
      inputSchema: z.object({}),
      outputSchema: z.object({ toolsets: z.array(z.object({ name: z.string(), description: z.string(), tools: z.number(), enabled: z.boolean() })) }),
      listOutputSchema: false,
      annotations: DISCOVERY,
      handler: async () => ({
        toolsets: names.map((name) => ({ name, description: TOOLSET_DESCRIPTIONS[name], tools: byToolset.get(name)?.length ?? 0, enabled: enabled(name) })),
      }),
    }),
    defineTool({
      name: 'get_toolset_tools',
      title: 'List the tools of a toolset',
      description: 'Lists the tools a toolset would add (name, whether it changes GitHub, what it does), to decide whether enabling it helps.',
      inputSchema: z.object({ toolset: toolsetArg }),
      outputSchema: z.object({
        toolset: z.string(),
        enabled: z.boolean(),
        tools: z.array(z.object({ name: z.string(), writes: z.boolean(), description: z.string() })),
      }),
      listOutputSchema: false,
      annotations: DISCOVERY,
      handler: async ({ toolset }) => ({
        toolset,
        enabled: enabled(toolset),
        tools: (byToolset.get(toolset) ?? []).map(({ tool }) => ({ name: tool.name, writes: !tool.annotations.readOnlyHint, description: tool.description })),
      }),
    }),
    defineTool({
      name: 'enable_toolset',
      title: 'Enable a toolset',
      description: "Adds a toolset's tools to your tool list (the client is told the list changed). Enabling an enabled toolset changes nothing.",
      inputSchema: z.object({ toolset: toolsetArg }),
      outputSchema: z.object({ toolset: z.string(), added: z.array(z.string()).describe('Tools now available; empty when it was already enabled') }),
      listOutputSchema: false,
      annotations: DISCOVERY,
      handler: async ({ toolset }) => ({ toolset, added: view.show((byToolset.get(toolset) ?? []).map((t) => t.tool.name)) }),
    }),
  ];
}
