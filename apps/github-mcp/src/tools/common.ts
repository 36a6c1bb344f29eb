// Shared pieces of the GitHub tools: argument schemas, pagination, trimming, and the tool wrapper
// that maps GitHub failures to clear isError results.
import { AppError, defineTool, z, type ToolDefinition } from '@factory/base-server';
import type { Toolset } from '../config.js';
import type { GithubClient } from '../github/client.js';
import { credentialsMissing, toGithubError, withoutCredentials } from '../github/errors.js';
import { callSignal } from '../github/client.js';

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** A tool plus the toolset it belongs to; `tool.annotations.readOnlyHint === false` marks a write. */
export interface GithubTool {
  toolset: Toolset;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tool: ToolDefinition<any, any>;
}

export function githubTool<I extends AnyObject, O extends AnyObject>(toolset: Toolset, def: ToolDefinition<I, O>): GithubTool {
  const tool = defineTool({
    ...def,
    handler: async (args, ctx) => {
      try {
        // GitHub requests made by the handler are aborted when the MCP call is cancelled.
        return await callSignal.run(ctx.signal, () => def.handler(args, ctx));
      } catch (err) {
        if (ctx.signal.aborted) throw new AppError('cancelled', 'The tool call was cancelled before GitHub answered.', { status: 499, cause: err });
        throw toGithubError(err);
      }
    },
  });
  return { toolset, tool };
}

/**
 * The tool as served without any GitHub credentials: a write refuses at once, saying what to set, and a
 * read that GitHub answers 401 says the same instead of blaming a token.
 */
export function withoutGithubCredentials({ toolset, tool }: GithubTool): GithubTool {
  const write = !tool.annotations.readOnlyHint;
  return {
    toolset,
    tool: {
      ...tool,
      handler: async (args: unknown, ctx: Parameters<typeof tool.handler>[1]) => {
        if (write) throw credentialsMissing(tool.name);
        try {
          return await tool.handler(args, ctx);
        } catch (err) {
          throw err instanceof AppError ? withoutCredentials(err) : err;
        }
      },
    },
  };
}

export interface ToolDeps {
  octokit: GithubClient;
}

export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

const NAME = /^[A-Za-z0-9_.-]+$/;
export const owner = z.string().min(1).max(100).regex(NAME, 'letters, digits, "-", "_" or "." only').describe('Repository owner: a user or organization login, e.g. "octocat"');
export const repo = z.string().min(1).max(100).regex(NAME, 'letters, digits, "-", "_" or "." only').describe('Repository name without the owner, e.g. "hello-world"');
export const repoArgs = { owner, repo };
export const issueNumber = z.number().int().positive().describe('Issue number (the #123 shown on GitHub)');
export const pullNumber = z.number().int().positive().describe('Pull request number');
export const gitSha = z.string().regex(/^[0-9a-f]{40}$/i, 'a full 40-character commit SHA');

export const pagination = {
  page: z.number().int().min(1).max(1000).default(1).describe('Page number, starting at 1'),
  per_page: z.number().int().min(1).max(100).default(30).describe('Results per page (1-100)'),
};
export const pageOutput = {
  page: z.number(),
  per_page: z.number(),
  has_more: z.boolean().describe('True when a next page exists: call again with page + 1'),
};

/** Pagination facts from a list response's Link header. */
export function pageInfo(args: { page: number; per_page: number }, headers: { link?: string | undefined }) {
  return { page: args.page, per_page: args.per_page, has_more: /rel="next"/.test(headers.link ?? '') };
}

/** Cuts long text, saying so, so outputs stay small. */
export function clip(text: string | null | undefined, max: number): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max)}\n…[truncated ${text.length - max} characters]` : text;
}

export const login = (u: { login?: string } | null | undefined): string | null => u?.login ?? null;

export const labelNames = (labels: ReadonlyArray<string | { name?: string | null }>): string[] =>
  labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean);

export const userOut = z.string().nullable().describe('GitHub login');

/** An ISO 8601 time such as 2026-01-31T12:00:00Z (kept as a plain string in the JSON schema: a regex would cost context). */
export const isoTime = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time such as 2026-01-31T12:00:00Z');
