// issues toolset: issues, comments and issue search.
import { z } from '@factory/base-server';
import { READ, isoTime, clip, githubTool, issueNumber, labelNames, login, pageInfo, pageOutput, pagination, repoArgs, userOut, type GithubTool, type ToolDeps } from './common.js';

const labels = z.array(z.string().min(1).max(100)).max(50);
const logins = z.array(z.string().min(1).max(100)).max(10);

const issueSummary = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  user: userOut,
  labels: z.array(z.string()),
  assignees: z.array(z.string()),
  comments: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  html_url: z.string(),
});

interface RawIssue {
  number: number;
  title: string;
  state: string;
  user?: { login?: string } | null;
  labels: ReadonlyArray<string | { name?: string | null }>;
  assignees?: ReadonlyArray<{ login?: string }> | null;
  comments: number;
  created_at: string;
  updated_at: string;
  html_url: string;
}

const summarize = (i: RawIssue) => ({
  number: i.number,
  title: i.title,
  state: i.state,
  user: login(i.user),
  labels: labelNames(i.labels),
  assignees: (i.assignees ?? []).map((a) => a.login ?? '').filter(Boolean),
  comments: i.comments,
  created_at: i.created_at,
  updated_at: i.updated_at,
  html_url: i.html_url,
});

const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;

export function issueTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('issues', {
      name: 'list_issues',
      title: 'List issues',
      description:
        'Lists a repository\'s issues (pull requests are excluded), filtered by state, labels and assignee, sorted by creation, update or comment count. Paginated: when has_more is true, call again with the next page. A page may hold fewer than per_page issues because pull requests are removed.',
      inputSchema: z.object({
        ...repoArgs,
        state: z.enum(['open', 'closed', 'all']).default('open'),
        labels: labels.optional().describe('Only issues carrying all these labels'),
        assignee: z.string().min(1).max(100).optional().describe('A login, "none" for unassigned or "*" for any'),
        since: isoTime.optional().describe('ISO 8601 time: only issues updated after it'),
        sort: z.enum(['created', 'updated', 'comments']).default('created'),
        direction: z.enum(['asc', 'desc']).default('desc'),
        ...pagination,
      }),
      outputSchema: z.object({ issues: z.array(issueSummary), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.issues.listForRepo({
          owner: args.owner,
          repo: args.repo,
          state: args.state,
          sort: args.sort,
          direction: args.direction,
          page: args.page,
          per_page: args.per_page,
          ...(args.labels?.length ? { labels: args.labels.join(',') } : {}),
          ...(args.assignee ? { assignee: args.assignee } : {}),
          ...(args.since ? { since: args.since } : {}),
        });
        return { issues: data.filter((i) => !i.pull_request).map(summarize), ...pageInfo(args, headers) };
      },
    }),

    githubTool('issues', {
      name: 'get_issue',
      title: 'Get an issue',
      description: 'Returns one issue with its body (cut to 20000 characters), labels, assignees, milestone and state. Use list_issue_comments for the discussion.',
      inputSchema: z.object({ ...repoArgs, issue_number: issueNumber }),
      outputSchema: issueSummary.extend({
        body: z.string(),
        state_reason: z.string().nullable(),
        milestone: z.string().nullable(),
        closed_at: z.string().nullable(),
        is_pull_request: z.boolean(),
      }),
      annotations: READ,
      handler: async ({ owner, repo, issue_number }) => {
        const { data: i } = await octokit.rest.issues.get({ owner, repo, issue_number });
        return {
          ...summarize(i),
          body: clip(i.body, 20_000),
          state_reason: i.state_reason ?? null,
          milestone: i.milestone?.title ?? null,
          closed_at: i.closed_at ?? null,
          is_pull_request: Boolean(i.pull_request),
        };
      },
    }),

    githubTool('issues', {
      name: 'create_issue',
      title: 'Create an issue',
      description: 'Opens a new issue with a title and optional Markdown body, labels and assignees. Each call creates another issue, so do not repeat it to retry.',
      inputSchema: z.object({
        ...repoArgs,
        title: z.string().min(1).max(256),
        body: z.string().max(65_536).optional().describe('Markdown body'),
        labels: labels.optional().describe('Label names (must exist, or you need push access to create them)'),
        assignees: logins.optional().describe('Logins to assign'),
        milestone: z.number().int().positive().optional().describe('Milestone number'),
      }),
      outputSchema: z.object({ number: z.number(), title: z.string(), state: z.string(), html_url: z.string() }),
      annotations: WRITE,
      handler: async ({ owner, repo, ...fields }) => {
        const { data } = await octokit.rest.issues.create({ owner, repo, ...fields });
        return { number: data.number, title: data.title, state: data.state, html_url: data.html_url };
      },
    }),

    githubTool('issues', {
      name: 'update_issue',
      title: 'Update an issue',
      description:
        'Changes an issue: title, body, state (open/closed, with a reason), labels or assignees. labels and assignees REPLACE the current lists, so include the ones to keep. Give at least one field to change.',
      inputSchema: z
        .object({
          ...repoArgs,
          issue_number: issueNumber,
          title: z.string().min(1).max(256).optional(),
          body: z.string().max(65_536).optional(),
          state: z.enum(['open', 'closed']).optional(),
          state_reason: z.enum(['completed', 'not_planned', 'reopened']).optional().describe('Why it was closed or reopened'),
          labels: labels.optional().describe('The complete new label list'),
          assignees: logins.optional().describe('The complete new assignee list'),
        })
        .refine((a) => ['title', 'body', 'state', 'state_reason', 'labels', 'assignees'].some((k) => a[k as keyof typeof a] !== undefined), {
          message: 'give at least one of title, body, state, state_reason, labels, assignees',
        }),
      outputSchema: issueSummary,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async ({ owner, repo, issue_number, ...fields }) => {
        const { data } = await octokit.rest.issues.update({ owner, repo, issue_number, ...fields });
        return summarize(data);
      },
    }),

    githubTool('issues', {
      name: 'add_issue_comment',
      title: 'Comment on an issue or pull request',
      description: 'Adds a Markdown comment to an issue or to a pull request\'s conversation. Each call posts another comment.',
      inputSchema: z.object({ ...repoArgs, issue_number: issueNumber.describe('Issue or pull request number'), body: z.string().min(1).max(65_536) }),
      outputSchema: z.object({ id: z.number(), html_url: z.string(), created_at: z.string() }),
      annotations: WRITE,
      handler: async ({ owner, repo, issue_number, body }) => {
        const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
        return { id: data.id, html_url: data.html_url, created_at: data.created_at };
      },
    }),

    githubTool('issues', {
      name: 'list_issue_comments',
      title: 'List issue comments',
      description: 'Lists the comments on an issue or pull request conversation, oldest first, each body cut to 4000 characters. Paginated.',
      inputSchema: z.object({
        ...repoArgs,
        issue_number: issueNumber.describe('Issue or pull request number'),
        since: isoTime.optional().describe('ISO 8601 time: only comments updated after it'),
        ...pagination,
      }),
      outputSchema: z.object({
        comments: z.array(z.object({ id: z.number(), user: userOut, body: z.string(), created_at: z.string(), html_url: z.string() })),
        ...pageOutput,
      }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.issues.listComments({
          owner: args.owner,
          repo: args.repo,
          issue_number: args.issue_number,
          page: args.page,
          per_page: args.per_page,
          ...(args.since ? { since: args.since } : {}),
        });
        return {
          comments: data.map((c) => ({ id: c.id, user: login(c.user), body: clip(c.body, 4000), created_at: c.created_at, html_url: c.html_url })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('issues', {
      name: 'search_issues',
      title: 'Search issues and pull requests',
      description:
        'Searches issues and pull requests across GitHub with GitHub search syntax, e.g. "repo:octo/app is:issue is:open label:bug crash" or "author:octocat is:pr is:merged". Add is:issue or is:pr to narrow the kind. Paginated (at most 1000 results).',
      inputSchema: z.object({
        query: z.string().min(1).max(256).describe('GitHub issue search query'),
        sort: z.enum(['comments', 'reactions', 'created', 'updated']).optional().describe('Default: best match'),
        order: z.enum(['asc', 'desc']).default('desc'),
        ...pagination,
      }),
      outputSchema: z.object({
        total_count: z.number(),
        incomplete_results: z.boolean(),
        items: z.array(
          z.object({
            repository: z.string(),
            number: z.number(),
            title: z.string(),
            state: z.string(),
            is_pull_request: z.boolean(),
            user: userOut,
            updated_at: z.string(),
            html_url: z.string(),
          }),
        ),
        ...pageOutput,
      }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.search.issuesAndPullRequests({
          q: args.query,
          order: args.order,
          page: args.page,
          per_page: args.per_page,
          ...(args.sort ? { sort: args.sort } : {}),
        });
        return {
          total_count: data.total_count,
          incomplete_results: data.incomplete_results,
          items: data.items.map((i) => ({
            repository: i.repository_url.split('/repos/')[1] ?? i.repository_url,
            number: i.number,
            title: i.title,
            state: i.state,
            is_pull_request: Boolean(i.pull_request),
            user: login(i.user),
            updated_at: i.updated_at,
            html_url: i.html_url,
          })),
          ...pageInfo(args, headers),
        };
      },
    }),
  ];
}
