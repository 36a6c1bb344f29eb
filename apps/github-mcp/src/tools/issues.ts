// issues toolset: issues, comments and issue search.
import { z } from '@factory/base-server';
import { CREATE, CREATE_OR_CHANGE, READ, isoTime, clip, githubTool, issueNumber, labelNames, login, pageInfo, pageOutput, pagination, repoArgs, userOut, type GithubTool, type ToolDeps } from './common.js';
import { issueSearchTool } from './issue-search.js';

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

export function issueTools(deps: ToolDeps): GithubTool[] {
  const { octokit } = deps;
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
      name: 'issue_read',
      title: 'Read an issue',
      description:
        'Reads one issue (or a pull request\'s conversation); view picks what: details: body (cut to 20000 chars), labels, assignees, milestone, state; comments: the discussion, oldest first, bodies cut to 4000 chars; sub_issues: its child issues. comments and sub_issues are paginated.',
      inputSchema: z.object({
        ...repoArgs,
        issue_number: issueNumber,
        view: z.enum(['details', 'comments', 'sub_issues']).default('details'),
        since: isoTime.optional().describe('comments view: only comments updated after this ISO 8601 time'),
        ...pagination,
      }),
      outputSchema: z.object({
        issue: issueSummary
          .extend({ body: z.string(), state_reason: z.string().nullable(), milestone: z.string().nullable(), closed_at: z.string().nullable(), is_pull_request: z.boolean() })
          .optional(),
        comments: z.array(z.object({ id: z.number(), user: userOut, body: z.string(), created_at: z.string(), html_url: z.string() })).optional(),
        sub_issues: z.array(issueSummary.extend({ id: z.number().describe('The id sub_issue_write takes') })).optional(),
        page: z.number().optional(),
        per_page: z.number().optional(),
        has_more: z.boolean().optional(),
      }),
      annotations: READ,
      handler: async (args) => {
        const { owner, repo, issue_number } = args;
        const page = { owner, repo, issue_number, page: args.page, per_page: args.per_page };
        if (args.view === 'comments') {
          const { data, headers } = await octokit.rest.issues.listComments({ ...page, ...(args.since ? { since: args.since } : {}) });
          return {
            comments: data.map((c) => ({ id: c.id, user: login(c.user), body: clip(c.body, 4000), created_at: c.created_at, html_url: c.html_url })),
            ...pageInfo(args, headers),
          };
        }
        if (args.view === 'sub_issues') {
          const { data, headers } = await octokit.rest.issues.listSubIssues(page);
          return { sub_issues: data.map((i) => ({ id: i.id, ...summarize(i) })), ...pageInfo(args, headers) };
        }
        const { data: i } = await octokit.rest.issues.get({ owner, repo, issue_number });
        return {
          issue: {
            ...summarize(i),
            body: clip(i.body, 20_000),
            state_reason: i.state_reason ?? null,
            milestone: i.milestone?.title ?? null,
            closed_at: i.closed_at ?? null,
            is_pull_request: Boolean(i.pull_request),
          },
        };
      },
    }),

    githubTool('issues', {
      name: 'issue_write',
      title: 'Create or update an issue',
      description:
        'method create opens a new issue (title required; each call opens another, so do not repeat it to retry). method update changes issue_number: title, body, state (open/closed, with state_reason), labels, assignees, milestone; labels and assignees REPLACE the current lists, so include the ones to keep.',
      inputSchema: z
        .object({
          ...repoArgs,
          method: z.enum(['create', 'update']),
          issue_number: issueNumber.optional().describe('update: the issue to change'),
          title: z.string().min(1).max(256).optional(),
          body: z.string().max(65_536).optional().describe('Markdown'),
          state: z.enum(['open', 'closed']).optional().describe('update only'),
          state_reason: z.enum(['completed', 'not_planned', 'reopened']).optional().describe('update: why it was closed or reopened'),
          labels: labels.optional().describe('Label names; on update the complete new list'),
          assignees: logins.optional().describe('Logins; on update the complete new list'),
          milestone: z.number().int().positive().optional().describe('Milestone number'),
        })
        .superRefine((a, ctx) => {
          if (a.method === 'create') {
            if (a.title === undefined) ctx.addIssue({ code: 'custom', path: ['title'], message: 'required to create an issue' });
            for (const k of ['issue_number', 'state', 'state_reason'] as const) {
              if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'only for method update' });
            }
            return;
          }
          if (a.issue_number === undefined) ctx.addIssue({ code: 'custom', path: ['issue_number'], message: 'required to update an issue' });
          if (!(['title', 'body', 'state', 'state_reason', 'labels', 'assignees', 'milestone'] as const).some((k) => a[k] !== undefined)) {
            ctx.addIssue({ code: 'custom', message: 'give at least one of title, body, state, state_reason, labels, assignees, milestone' });
          }
        }),
      outputSchema: z.object({ number: z.number(), title: z.string(), state: z.string(), html_url: z.string() }),
      annotations: CREATE_OR_CHANGE,
      handler: async ({ owner, repo, method, issue_number, title, ...fields }) => {
        const { data } =
          method === 'create'
            ? await octokit.rest.issues.create({ owner, repo, title: title!, ...fields })
            : await octokit.rest.issues.update({ owner, repo, issue_number: issue_number!, ...(title !== undefined ? { title } : {}), ...fields });
        return { number: data.number, title: data.title, state: data.state, html_url: data.html_url };
      },
    }),

    githubTool('issues', {
      name: 'sub_issue_write',
      title: 'Add or remove a sub-issue',
      description:
        'method add makes sub_issue_id a child of issue_number (replace_parent moves it from another parent); method remove detaches it. sub_issue_id is the issue\'s id (issue_read sub_issues, or the REST id), not its number.',
      inputSchema: z.object({
        ...repoArgs,
        issue_number: issueNumber.describe('The parent issue'),
        method: z.enum(['add', 'remove']),
        sub_issue_id: z.number().int().positive(),
        replace_parent: z.boolean().default(false).describe('add: move it even if it has another parent'),
      }),
      outputSchema: z.object({ parent: z.number(), sub_issue_id: z.number(), html_url: z.string() }),
      annotations: CREATE_OR_CHANGE,
      handler: async ({ owner, repo, issue_number, method, sub_issue_id, replace_parent }) => {
        const { data } =
          method === 'add'
            ? await octokit.rest.issues.addSubIssue({ owner, repo, issue_number, sub_issue_id, ...(replace_parent ? { replace_parent } : {}) })
            : await octokit.rest.issues.removeSubIssue({ owner, repo, issue_number, sub_issue_id });
        return { parent: issue_number, sub_issue_id, html_url: data.html_url };
      },
    }),

    githubTool('issues', {
      name: 'add_issue_comment',
      title: 'Comment on an issue or pull request',
      description: 'Adds a Markdown comment to an issue or to a pull request\'s conversation. Each call posts another comment.',
      inputSchema: z.object({ ...repoArgs, issue_number: issueNumber.describe('Issue or pull request number'), body: z.string().min(1).max(65_536) }),
      outputSchema: z.object({ id: z.number(), html_url: z.string(), created_at: z.string() }),
      annotations: CREATE,
      handler: async ({ owner, repo, issue_number, body }) => {
        const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
        return { id: data.id, html_url: data.html_url, created_at: data.created_at };
      },
    }),

    issueSearchTool(deps, 'issues', 'issue'),
  ];
}
