// The tool catalog and its selection: toolsets, then per-tool allow and deny lists, then read-only mode,
// which overrides everything (mutating tools are then not registered at all).
import { ConfigError } from '@factory/base-server';
import type { Toolset } from '../config.js';
import type { GithubTool, ToolDeps } from './common.js';
import { contextTools } from './context.js';
import { repoTools } from './repos.js';
import { issueTools } from './issues.js';
import { pullRequestTools } from './pull-requests.js';
import { actionsTools } from './actions.js';
import { releaseTools } from './releases.js';
import { searchTools } from './search.js';
import { repoWriteTools } from './repo-writes.js';
import { labelTools } from './labels.js';
import { userTools } from './users.js';

export function allGithubTools(deps: ToolDeps): GithubTool[] {
  return [
    ...contextTools(deps),
    ...repoTools(deps),
    ...repoWriteTools(deps),
    ...issueTools(deps),
    ...pullRequestTools(deps),
    ...userTools(deps),
    ...labelTools(deps),
    ...actionsTools(deps),
    ...releaseTools(deps),
    ...searchTools(deps),
  ];
}

export interface ToolSelection {
  toolsets: readonly Toolset[];
  /** Tools added even when their toolset is off. */
  allow?: readonly string[];
  /** Tools removed even when their toolset is on. */
  deny?: readonly string[];
  readOnly?: boolean;
}

export const isMutating = (t: GithubTool): boolean => !t.tool.annotations.readOnlyHint;

export function selectTools(all: readonly GithubTool[], selection: ToolSelection): GithubTool[] {
  const names = new Set(all.map((t) => t.tool.name));
  for (const [variable, list] of [
    ['GITHUB_TOOLS_ALLOW', selection.allow ?? []],
    ['GITHUB_TOOLS_DENY', selection.deny ?? []],
  ] as const) {
    const unknown = list.filter((n) => !names.has(n));
    if (unknown.length > 0) throw new ConfigError(`Invalid configuration: ${variable}: unknown tool "${unknown.join('", "')}"`);
  }
  const allow = new Set(selection.allow ?? []);
  const deny = new Set(selection.deny ?? []);
  return all.filter((t) => {
    if (selection.readOnly && isMutating(t)) return false;
    if (deny.has(t.tool.name)) return false;
    return selection.toolsets.includes(t.toolset) || allow.has(t.tool.name);
  });
}
