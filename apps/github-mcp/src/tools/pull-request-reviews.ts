// pull_request_review_write: every way of reviewing a pull request through one tool; the model picks a method.
import { z } from '@factory/base-server';
import { CREATE_OR_CHANGE, filePath, gitSha, githubTool, pullNumber, repoArgs, type GithubTool, type ToolDeps } from './common.js';

const METHODS = ['submit', 'create_pending', 'submit_pending', 'delete_pending', 'comment', 'reply'] as const;
type Method = (typeof METHODS)[number];

const line = z.number().int().positive();
const side = z.enum(['LEFT', 'RIGHT']).describe('RIGHT: the new version (default); LEFT: the old');
const lineComment = z.object({ path: filePath, line, side: side.default('RIGHT'), body: z.string().min(1).max(65_536) });

// Which arguments each method needs; the others are refused so a mistaken call changes nothing.
const NEEDS: Record<Method, readonly string[]> = {
  submit: ['event'],
  create_pending: [],
  submit_pending: ['review_id', 'event'],
  delete_pending: ['review_id'],
  comment: ['path', 'line', 'body'],
  reply: ['comment_id', 'body'],
};

export function reviewWriteTool({ octokit }: ToolDeps): GithubTool {
  return githubTool('pull_requests', {
    name: 'pull_request_review_write',
    title: 'Review a pull request',
    description: [
      'Reviews a pull request; method picks what:',
      'submit: a review at once (event APPROVE, REQUEST_CHANGES or COMMENT; body required unless APPROVE), optionally with line comments;',
      'create_pending: a draft review holding line comments, invisible to others until submit_pending (review_id, event) publishes it or delete_pending (review_id) drops it;',
      'comment: one line comment on the diff (path, line, optional start_line for a range);',
      'reply: answer a review comment (comment_id from pull_request_read review_comments).',
      'Lines are line numbers in the file (side RIGHT = new version). Each call except delete_pending adds something.',
    ].join(' '),
    inputSchema: z
      .object({
        ...repoArgs,
        pull_number: pullNumber,
        method: z.enum(METHODS),
        event: z.enum(['APPROVE', 'REQUEST_CHANGES', 'COMMENT']).optional(),
        body: z.string().max(65_536).optional().describe('Review summary, or the comment/reply text (Markdown)'),
        commit_id: gitSha.optional().describe('Commit reviewed (default: the current head)'),
        comments: z.array(lineComment).max(50).optional().describe('submit, create_pending: line comments'),
        review_id: z.number().int().positive().optional(),
        comment_id: z.number().int().positive().optional(),
        path: filePath.optional(),
        line: line.optional(),
        start_line: line.optional().describe('comment: first line of a multi-line range'),
        side: side.optional(),
      })
      .superRefine((a, ctx) => {
        for (const key of NEEDS[a.method]) {
          if (a[key as keyof typeof a] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required for method ${a.method}` });
        }
        if ((a.method === 'submit' || a.method === 'submit_pending') && a.event !== 'APPROVE' && !a.body?.trim()) {
          ctx.addIssue({ code: 'custom', path: ['body'], message: 'required for REQUEST_CHANGES and COMMENT' });
        }
      }),
    outputSchema: z.object({ id: z.number(), state: z.string().nullable().describe('Review state, e.g. PENDING, APPROVED'), html_url: z.string().nullable() }),
    annotations: CREATE_OR_CHANGE,
    handler: async (a) => {
      const { owner, repo, pull_number } = a;
      const text = a.body?.trim() ? { body: a.body } : {};
      switch (a.method) {
        case 'submit':
        case 'create_pending': {
          const { data } = await octokit.rest.pulls.createReview({
            owner,
            repo,
            pull_number,
            ...(a.method === 'submit' ? { event: a.event } : {}),
            ...text,
            ...(a.commit_id ? { commit_id: a.commit_id } : {}),
            ...(a.comments?.length ? { comments: a.comments } : {}),
          });
          return { id: data.id, state: data.state, html_url: data.html_url };
        }
        case 'submit_pending': {
          const { data } = await octokit.rest.pulls.submitReview({ owner, repo, pull_number, review_id: a.review_id!, event: a.event!, ...text });
          return { id: data.id, state: data.state, html_url: data.html_url };
        }
        case 'delete_pending': {
          const { data } = await octokit.rest.pulls.deletePendingReview({ owner, repo, pull_number, review_id: a.review_id! });
          return { id: data.id, state: 'DELETED', html_url: null };
        }
        case 'comment': {
          // GitHub needs the commit a line comment applies to; the head is what the model is looking at.
          const commit_id = a.commit_id ?? (await octokit.rest.pulls.get({ owner, repo, pull_number })).data.head.sha;
          const { data } = await octokit.rest.pulls.createReviewComment({
            owner,
            repo,
            pull_number,
            commit_id,
            path: a.path!,
            line: a.line!,
            side: a.side ?? 'RIGHT',
            body: a.body!,
            ...(a.start_line ? { start_line: a.start_line, start_side: a.side ?? 'RIGHT' } : {}),
          });
          return { id: data.id, state: null, html_url: data.html_url };
        }
        case 'reply': {
          const { data } = await octokit.rest.pulls.createReplyForReviewComment({ owner, repo, pull_number, comment_id: a.comment_id!, body: a.body! });
          return { id: data.id, state: null, html_url: data.html_url };
        }
      }
    },
  });
}
