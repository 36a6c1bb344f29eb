// pull_requests toolset: reading, opening, reviewing and merging pull requests.
import { z } from '@factory/base-server';
import { CHANGE, CREATE, READ, branchName, gitSha, githubTool, pageInfo, pageOutput, pagination, pullNumber, repoArgs, type GithubTool, type ToolDeps } from './common.js';
import { issueSearchTool } from './issue-search.js';
import { pullRequestReadTool } from './pull-request-read.js';
import { reviewWriteTool } from './pull-request-reviews.js';
import { prSummary, summarizePr as summarize } from './pull-request-shape.js';

export function pullRequestTools(deps: ToolDeps): GithubTool[] {
  const { octokit } = deps;
  return [
    githubTool('pull_requests', {
      name: 'list_pull_requests',
      title: 'List pull requests',
      description: 'Lists a repository\'s pull requests by state, optionally only those from a head branch ("owner:branch") or into a base branch. Paginated.',
      inputSchema: z.object({
        ...repoArgs,
        state: z.enum(['open', 'closed', 'all']).default('open'),
        head: z.string().min(1).max(300).optional().describe('Filter by head as "user:branch"'),
        base: branchName.optional().describe('Filter by base branch name'),
        sort: z.enum(['created', 'updated', 'popularity', 'long-running']).default('created'),
        direction: z.enum(['asc', 'desc']).default('desc'),
        ...pagination,
      }),
      outputSchema: z.object({ pull_requests: z.array(prSummary), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.pulls.list({
          owner: args.owner,
          repo: args.repo,
          state: args.state,
          sort: args.sort,
          direction: args.direction,
          page: args.page,
          per_page: args.per_page,
          ...(args.head ? { head: args.head } : {}),
          ...(args.base ? { base: args.base } : {}),
        });
        return { pull_requests: data.map(summarize), ...pageInfo(args, headers) };
      },
    }),

    pullRequestReadTool(deps),
    issueSearchTool(deps, 'pull_requests', 'pr'),

    githubTool('pull_requests', {
      name: 'create_pull_request',
      title: 'Open a pull request',
      description: 'Opens a pull request from head (a branch, or "owner:branch" for a fork) into base. Set draft to open it as a draft. Each call tries to open another pull request.',
      inputSchema: z.object({
        ...repoArgs,
        title: z.string().min(1).max(256),
        head: z.string().min(1).max(300).describe('Branch with the changes, or "owner:branch" from a fork'),
        base: branchName.describe('Branch to merge into, usually the default branch'),
        body: z.string().max(65_536).optional().describe('Markdown description'),
        draft: z.boolean().default(false),
        maintainer_can_modify: z.boolean().optional(),
      }),
      outputSchema: prSummary,
      annotations: CREATE,
      handler: async ({ owner, repo, ...fields }) => {
        const { data } = await octokit.rest.pulls.create({ owner, repo, ...fields });
        return summarize(data);
      },
    }),

    githubTool('pull_requests', {
      name: 'update_pull_request',
      title: 'Update a pull request',
      description: 'Changes a pull request\'s title, body, base branch or state (close or reopen). Give at least one field. To merge use merge_pull_request.',
      inputSchema: z
        .object({
          ...repoArgs,
          pull_number: pullNumber,
          title: z.string().min(1).max(256).optional(),
          body: z.string().max(65_536).optional(),
          state: z.enum(['open', 'closed']).optional(),
          base: branchName.optional().describe('New base branch'),
          maintainer_can_modify: z.boolean().optional(),
        })
        .refine((a) => a.title !== undefined || a.body !== undefined || a.state !== undefined || a.base !== undefined || a.maintainer_can_modify !== undefined, {
          message: 'give at least one of title, body, state, base, maintainer_can_modify',
        }),
      outputSchema: prSummary,
      annotations: CHANGE,
      handler: async ({ owner, repo, pull_number, ...fields }) => {
        const { data } = await octokit.rest.pulls.update({ owner, repo, pull_number, ...fields });
        return summarize(data);
      },
    }),

    githubTool('pull_requests', {
      name: 'merge_pull_request',
      title: 'Merge a pull request',
      description:
        'Merges a pull request, but only if its head is still at sha (pull_request_read details: head_sha), so nothing pushed after your review is merged. Fails with a clear message when the head moved or the pull request is not mergeable.',
      inputSchema: z.object({
        ...repoArgs,
        pull_number: pullNumber,
        sha: gitSha.describe('Expected head commit SHA; the merge is refused if the head moved'),
        merge_method: z.enum(['merge', 'squash', 'rebase']).default('merge'),
        commit_title: z.string().min(1).max(256).optional(),
        commit_message: z.string().max(65_536).optional(),
      }),
      outputSchema: z.object({ merged: z.boolean(), sha: z.string().nullable().describe('The merge commit'), message: z.string() }),
      annotations: CHANGE,
      handler: async ({ owner, repo, pull_number, ...fields }) => {
        const { data } = await octokit.rest.pulls.merge({ owner, repo, pull_number, ...fields });
        return { merged: data.merged, sha: data.sha ?? null, message: data.message };
      },
    }),

    githubTool('pull_requests', {
      name: 'update_pull_request_branch',
      title: 'Update a pull request branch',
      description:
        'Merges the base branch into the pull request\'s head branch (GitHub\'s "Update branch"), so it is tested against the latest base. Pass expected_head_sha to refuse when someone pushed meanwhile. GitHub does the merge asynchronously.',
      inputSchema: z.object({
        ...repoArgs,
        pull_number: pullNumber,
        expected_head_sha: gitSha.optional().describe('Refuse unless the head is still at this SHA'),
      }),
      outputSchema: z.object({ message: z.string(), url: z.string() }),
      annotations: CREATE,
      handler: async ({ owner, repo, pull_number, expected_head_sha }) => {
        const { data } = await octokit.rest.pulls.updateBranch({ owner, repo, pull_number, ...(expected_head_sha ? { expected_head_sha } : {}) });
        return { message: data.message ?? 'Updating the pull request branch.', url: data.url ?? '' };
      },
    }),

    reviewWriteTool(deps),
  ];
}
