// pull_requests toolset: reading, opening, reviewing and merging pull requests.
import { z } from '@factory/base-server';
import { READ, branchName, clip, gitSha, githubTool, login, pageInfo, pageOutput, pagination, pullNumber, repoArgs, userOut, type GithubTool, type ToolDeps } from './common.js';

const prSummary = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  draft: z.boolean(),
  user: userOut,
  head: z.string().describe('Head branch'),
  base: z.string().describe('Base branch'),
  updated_at: z.string(),
  html_url: z.string(),
});

interface RawPr {
  number: number;
  title: string;
  state: string;
  draft?: boolean;
  user?: { login?: string } | null;
  head: { ref: string };
  base: { ref: string };
  updated_at: string;
  html_url: string;
}
const summarize = (p: RawPr) => ({
  number: p.number,
  title: p.title,
  state: p.state,
  draft: p.draft ?? false,
  user: login(p.user),
  head: p.head.ref,
  base: p.base.ref,
  updated_at: p.updated_at,
  html_url: p.html_url,
});

/** Cuts a diff to at most maxBytes UTF-8 bytes, at a line boundary. */
function boundDiff(diff: string, maxBytes: number): { diff: string; truncated: boolean } {
  const bytes = Buffer.from(diff, 'utf8');
  if (bytes.length <= maxBytes) return { diff, truncated: false };
  const cut = bytes.subarray(0, maxBytes).toString('utf8');
  const nl = cut.lastIndexOf('\n');
  return { diff: nl > 0 ? cut.slice(0, nl + 1) : cut, truncated: true };
}

const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure', 'error']);

export function pullRequestTools({ octokit }: ToolDeps): GithubTool[] {
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

    githubTool('pull_requests', {
      name: 'get_pull_request',
      title: 'Get a pull request',
      description:
        'Returns one pull request: body (cut to 20000 characters), head and base branches with SHAs, merge state, size, and requested reviewers. head_sha is what merge_pull_request needs.',
      inputSchema: z.object({ ...repoArgs, pull_number: pullNumber }),
      outputSchema: prSummary.extend({
        body: z.string(),
        head_sha: z.string(),
        base_sha: z.string(),
        merged: z.boolean(),
        mergeable: z.boolean().nullable().describe('null while GitHub is still computing it'),
        mergeable_state: z.string().nullable(),
        additions: z.number(),
        deletions: z.number(),
        changed_files: z.number(),
        commits: z.number(),
        requested_reviewers: z.array(z.string()),
        created_at: z.string(),
        merged_at: z.string().nullable(),
      }),
      annotations: READ,
      handler: async ({ owner, repo, pull_number }) => {
        const { data: p } = await octokit.rest.pulls.get({ owner, repo, pull_number });
        return {
          ...summarize(p),
          body: clip(p.body, 20_000),
          head_sha: p.head.sha,
          base_sha: p.base.sha,
          merged: p.merged,
          mergeable: p.mergeable ?? null,
          mergeable_state: p.mergeable_state ?? null,
          additions: p.additions,
          deletions: p.deletions,
          changed_files: p.changed_files,
          commits: p.commits,
          requested_reviewers: (p.requested_reviewers ?? []).map((r) => r.login),
          created_at: p.created_at,
          merged_at: p.merged_at ?? null,
        };
      },
    }),

    githubTool('pull_requests', {
      name: 'get_pull_request_diff',
      title: 'Get a pull request diff',
      description:
        'Returns the unified diff of a pull request, cut at a line boundary to max_bytes (truncated tells you when). For large pull requests prefer get_pull_request_files to see which files changed first.',
      inputSchema: z.object({
        ...repoArgs,
        pull_number: pullNumber,
        max_bytes: z.number().int().min(1000).max(1_000_000).default(100_000).describe('Largest diff returned'),
      }),
      outputSchema: z.object({ diff: z.string(), bytes: z.number().describe('Size of the full diff'), truncated: z.boolean() }),
      annotations: READ,
      handler: async ({ owner, repo, pull_number, max_bytes }) => {
        const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number, mediaType: { format: 'diff' } });
        const full = String(data as unknown);
        return { ...boundDiff(full, max_bytes), bytes: Buffer.byteLength(full, 'utf8') };
      },
    }),

    githubTool('pull_requests', {
      name: 'get_pull_request_files',
      title: 'List files changed in a pull request',
      description: 'Lists the files a pull request changes with status and line counts; include_patch adds each file\'s diff cut to 3000 characters. Paginated (GitHub lists at most 3000 files).',
      inputSchema: z.object({ ...repoArgs, pull_number: pullNumber, include_patch: z.boolean().default(false), ...pagination }),
      outputSchema: z.object({
        files: z.array(
          z.object({
            filename: z.string(),
            status: z.string(),
            additions: z.number(),
            deletions: z.number(),
            previous_filename: z.string().optional(),
            patch: z.string().optional(),
          }),
        ),
        ...pageOutput,
      }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.pulls.listFiles({
          owner: args.owner,
          repo: args.repo,
          pull_number: args.pull_number,
          page: args.page,
          per_page: args.per_page,
        });
        return {
          files: data.map((f) => ({
            filename: f.filename,
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
            ...(args.include_patch && f.patch ? { patch: clip(f.patch, 3000) } : {}),
          })),
          ...pageInfo(args, headers),
        };
      },
    }),

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
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
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
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async ({ owner, repo, pull_number, ...fields }) => {
        const { data } = await octokit.rest.pulls.update({ owner, repo, pull_number, ...fields });
        return summarize(data);
      },
    }),

    githubTool('pull_requests', {
      name: 'merge_pull_request',
      title: 'Merge a pull request',
      description:
        'Merges a pull request, but only if its head is still at sha (get it from get_pull_request), so nothing pushed after your review is merged. Fails with a clear message when the head moved or the pull request is not mergeable.',
      inputSchema: z.object({
        ...repoArgs,
        pull_number: pullNumber,
        sha: gitSha.describe('Expected head commit SHA; the merge is refused if the head moved'),
        merge_method: z.enum(['merge', 'squash', 'rebase']).default('merge'),
        commit_title: z.string().min(1).max(256).optional(),
        commit_message: z.string().max(65_536).optional(),
      }),
      outputSchema: z.object({ merged: z.boolean(), sha: z.string().nullable().describe('The merge commit'), message: z.string() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async ({ owner, repo, pull_number, ...fields }) => {
        const { data } = await octokit.rest.pulls.merge({ owner, repo, pull_number, ...fields });
        return { merged: data.merged, sha: data.sha ?? null, message: data.message };
      },
    }),

    githubTool('pull_requests', {
      name: 'create_pull_request_review',
      title: 'Review a pull request',
      description:
        'Submits a review: APPROVE, REQUEST_CHANGES (body required) or COMMENT (body required), optionally with line comments on the diff (path + line in the new file). Each call submits another review.',
      inputSchema: z
        .object({
          ...repoArgs,
          pull_number: pullNumber,
          event: z.enum(['APPROVE', 'REQUEST_CHANGES', 'COMMENT']),
          body: z.string().max(65_536).optional().describe('Review summary (Markdown)'),
          commit_id: gitSha.optional().describe('Commit the review applies to (default: the current head)'),
          comments: z
            .array(
              z.object({
                path: z.string().min(1).max(1000),
                line: z.number().int().positive().describe('Line number in the file'),
                side: z.enum(['LEFT', 'RIGHT']).default('RIGHT').describe('RIGHT for the new version, LEFT for the old'),
                body: z.string().min(1).max(65_536),
              }),
            )
            .max(50)
            .optional(),
        })
        .refine((a) => a.event === 'APPROVE' || (a.body?.trim() ?? '') !== '', { message: 'body is required for REQUEST_CHANGES and COMMENT', path: ['body'] }),
      outputSchema: z.object({ id: z.number(), state: z.string(), html_url: z.string(), submitted_at: z.string().nullable() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async ({ owner, repo, pull_number, event, body, commit_id, comments }) => {
        const { data } = await octokit.rest.pulls.createReview({
          owner,
          repo,
          pull_number,
          event,
          ...(body ? { body } : {}),
          ...(commit_id ? { commit_id } : {}),
          ...(comments?.length ? { comments } : {}),
        });
        return { id: data.id, state: data.state, html_url: data.html_url, submitted_at: data.submitted_at ?? null };
      },
    }),

    githubTool('pull_requests', {
      name: 'list_pull_request_reviews',
      title: 'List pull request reviews',
      description: 'Lists the reviews on a pull request in order: reviewer, verdict (APPROVED, CHANGES_REQUESTED, COMMENTED, ...), body cut to 4000 characters, and the commit reviewed. Paginated.',
      inputSchema: z.object({ ...repoArgs, pull_number: pullNumber, ...pagination }),
      outputSchema: z.object({
        reviews: z.array(
          z.object({ id: z.number(), user: userOut, state: z.string(), body: z.string(), commit_id: z.string().nullable(), submitted_at: z.string().nullable() }),
        ),
        ...pageOutput,
      }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.pulls.listReviews({
          owner: args.owner,
          repo: args.repo,
          pull_number: args.pull_number,
          page: args.page,
          per_page: args.per_page,
        });
        return {
          reviews: data.map((r) => ({
            id: r.id,
            user: login(r.user),
            state: r.state,
            body: clip(r.body, 4000),
            commit_id: r.commit_id ?? null,
            submitted_at: r.submitted_at ?? null,
          })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('pull_requests', {
      name: 'get_pull_request_status',
      title: 'Get pull request checks',
      description:
        'Summarises the CI state of a pull request\'s head commit: an overall state (success, failure, pending or none) from commit statuses and check runs combined, plus each check\'s name and result. Use it before merging.',
      inputSchema: z.object({ ...repoArgs, pull_number: pullNumber }),
      outputSchema: z.object({
        head_sha: z.string(),
        state: z.enum(['success', 'failure', 'pending', 'none']),
        total: z.number(),
        failing: z.array(z.string()).describe('Names of failed checks'),
        checks: z.array(
          z.object({
            name: z.string(),
            kind: z.enum(['status', 'check_run']),
            state: z.string().describe('success, failure, pending, or a check-run conclusion'),
            url: z.string().nullable(),
          }),
        ),
      }),
      annotations: READ,
      handler: async ({ owner, repo, pull_number }) => {
        const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number });
        const ref = pr.head.sha;
        const [status, runs] = await Promise.all([
          octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref, per_page: 100 }),
          octokit.rest.checks.listForRef({ owner, repo, ref, per_page: 100 }),
        ]);
        const checks = [
          ...status.data.statuses.map((s) => ({ name: s.context, kind: 'status' as const, state: s.state, url: s.target_url ?? null })),
          ...runs.data.check_runs.map((r) => ({
            name: r.name,
            kind: 'check_run' as const,
            state: r.status === 'completed' ? (r.conclusion ?? 'neutral') : 'pending',
            url: r.html_url ?? null,
          })),
        ];
        const failing = checks.filter((c) => FAILED.has(c.state)).map((c) => c.name);
        const state: 'success' | 'failure' | 'pending' | 'none' = checks.length === 0 ? 'none' : failing.length > 0 ? 'failure' : checks.some((c) => c.state === 'pending') ? 'pending' : 'success';
        return { head_sha: ref, state, total: checks.length, failing, checks };
      },
    }),
  ];
}
