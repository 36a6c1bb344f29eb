// pull_request_read: everything about one pull request through one tool; the model picks a view.
import { z } from '@factory/base-server';
import { READ, clip, githubTool, login, pageInfo, pagination, pullNumber, repoArgs, userOut, type GithubTool, type ToolDeps } from './common.js';
import { prSummary, summarizePr } from './pull-request-shape.js';

const VIEWS = ['details', 'diff', 'files', 'reviews', 'review_comments', 'status'] as const;

/** Cuts a diff to at most maxBytes UTF-8 bytes, at a line boundary. */
function boundDiff(diff: string, maxBytes: number): { diff: string; truncated: boolean } {
  const bytes = Buffer.from(diff, 'utf8');
  if (bytes.length <= maxBytes) return { diff, truncated: false };
  const cut = bytes.subarray(0, maxBytes).toString('utf8');
  const nl = cut.lastIndexOf('\n');
  return { diff: nl > 0 ? cut.slice(0, nl + 1) : cut, truncated: true };
}

const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure', 'error']);

const details = prSummary.extend({
  body: z.string(),
  head_sha: z.string(),
  base_sha: z.string(),
  merged: z.boolean(),
  mergeable: z.boolean().nullable(),
  mergeable_state: z.string().nullable(),
  additions: z.number(),
  deletions: z.number(),
  changed_files: z.number(),
  commits: z.number(),
  requested_reviewers: z.array(z.string()),
  created_at: z.string(),
  merged_at: z.string().nullable(),
});

// One key per view; only the chosen view's keys are present (plus page facts for the paginated ones).
const output = z.object({
  view: z.enum(VIEWS),
  pull_request: details.optional(),
  diff: z.string().optional(),
  bytes: z.number().optional(),
  truncated: z.boolean().optional(),
  files: z
    .array(z.object({ filename: z.string(), status: z.string(), additions: z.number(), deletions: z.number(), previous_filename: z.string().optional(), patch: z.string().optional() }))
    .optional(),
  reviews: z.array(z.object({ id: z.number(), user: userOut, state: z.string(), body: z.string(), commit_id: z.string().nullable(), submitted_at: z.string().nullable() })).optional(),
  review_comments: z
    .array(
      z.object({
        id: z.number(),
        user: userOut,
        path: z.string(),
        line: z.number().nullable(),
        side: z.string().nullable(),
        body: z.string(),
        in_reply_to_id: z.number().nullable(),
        created_at: z.string(),
        html_url: z.string(),
      }),
    )
    .optional(),
  status: z
    .object({
      head_sha: z.string(),
      state: z.enum(['success', 'failure', 'pending', 'none']),
      total: z.number(),
      failing: z.array(z.string()),
      checks: z.array(z.object({ name: z.string(), kind: z.enum(['status', 'check_run']), state: z.string(), url: z.string().nullable() })),
    })
    .optional(),
  page: z.number().optional(),
  per_page: z.number().optional(),
  has_more: z.boolean().optional(),
});

export function pullRequestReadTool({ octokit }: ToolDeps): GithubTool {
  return githubTool('pull_requests', {
    name: 'pull_request_read',
    title: 'Read a pull request',
    description: [
      'Reads one pull request; view picks what:',
      'details: body (cut to 20000 chars), head/base SHAs, merge state, size, requested reviewers (head_sha is what merge_pull_request needs);',
      'diff: unified diff cut at a line boundary to max_bytes (for big PRs look at files first);',
      'files: changed files with line counts, include_patch adds each patch (3000 chars);',
      'reviews: verdicts and bodies; review_comments: line comments with their ids (to reply to);',
      'status: CI of the head, overall success/failure/pending/none and each check.',
      'files, reviews and review_comments are paginated (has_more: call again with page + 1).',
    ].join(' '),
    inputSchema: z.object({
      ...repoArgs,
      pull_number: pullNumber,
      view: z.enum(VIEWS).default('details'),
      include_patch: z.boolean().default(false).describe('files view'),
      max_bytes: z.number().int().min(1000).max(1_000_000).default(100_000).describe('diff view: largest diff returned'),
      ...pagination,
    }),
    outputSchema: output,
    annotations: READ,
    handler: async (args) => {
      const { owner, repo, pull_number, view } = args;
      const page = { owner, repo, pull_number, page: args.page, per_page: args.per_page };
      switch (view) {
        case 'details': {
          const { data: p } = await octokit.rest.pulls.get({ owner, repo, pull_number });
          return {
            view,
            pull_request: {
              ...summarizePr(p),
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
            },
          };
        }
        case 'diff': {
          const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number, mediaType: { format: 'diff' } });
          const full = String(data as unknown);
          return { view, ...boundDiff(full, args.max_bytes), bytes: Buffer.byteLength(full, 'utf8') };
        }
        case 'files': {
          const { data, headers } = await octokit.rest.pulls.listFiles(page);
          return {
            view,
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
        }
        case 'reviews': {
          const { data, headers } = await octokit.rest.pulls.listReviews(page);
          return {
            view,
            reviews: data.map((r) => ({ id: r.id, user: login(r.user), state: r.state, body: clip(r.body, 4000), commit_id: r.commit_id ?? null, submitted_at: r.submitted_at ?? null })),
            ...pageInfo(args, headers),
          };
        }
        case 'review_comments': {
          const { data, headers } = await octokit.rest.pulls.listReviewComments(page);
          return {
            view,
            review_comments: data.map((c) => ({
              id: c.id,
              user: login(c.user),
              path: c.path,
              line: c.line ?? null,
              side: c.side ?? null,
              body: clip(c.body, 4000),
              in_reply_to_id: c.in_reply_to_id ?? null,
              created_at: c.created_at,
              html_url: c.html_url,
            })),
            ...pageInfo(args, headers),
          };
        }
        case 'status': {
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
          return { view, status: { head_sha: ref, state, total: checks.length, failing, checks } };
        }
      }
    },
  });
}
