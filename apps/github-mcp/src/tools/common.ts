// Shared pieces of the GitHub tools: argument schemas, pagination, trimming, and the tool wrapper
// that maps GitHub failures to clear isError results.
import { AppError, UpstreamError, defineTool, z, type ToolDefinition } from '@factory/base-server';
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

/**
 * The output-schema rule: a write lists its output schema (small: the number, id or SHA the next call
 * needs); a read does not (its result is self-describing JSON the model reads, and the schema would
 * repeat every field name in each client's context). Every result is still checked against its schema.
 */
export function githubTool<I extends AnyObject, O extends AnyObject>(toolset: Toolset, def: ToolDefinition<I, O>): GithubTool {
  const tool = defineTool({
    ...def,
    listOutputSchema: def.listOutputSchema ?? !def.annotations.readOnlyHint,
    handler: async (args, ctx) => {
      let result: z.input<O>;
      try {
        // GitHub requests made by the handler are aborted when the MCP call is cancelled.
        result = await callSignal.run(ctx.signal, () => def.handler(args, ctx));
      } catch (err) {
        if (ctx.signal.aborted) throw new AppError('cancelled', 'The tool call was cancelled before GitHub answered.', { status: 499, cause: err });
        // A non-JSON or wrongly shaped answer breaks the handler's reading of it (TypeError, SyntaxError).
        if (err instanceof TypeError || err instanceof SyntaxError) throw unexpectedAnswer(def.name, ctx.logger, err);
        throw toGithubError(err);
      }
      // An answer missing what the tool reports is GitHub's surprise, not a bug for the model to report.
      const checked = def.outputSchema.safeParse(result);
      if (!checked.success) throw unexpectedAnswer(def.name, ctx.logger, checked.error.issues.slice(0, 5));
      return result;
    },
  });
  return { toolset, tool };
}

function unexpectedAnswer(tool: string, logger: { warn: (obj: object, msg: string) => void }, detail: unknown): UpstreamError {
  logger.warn({ tool, detail: detail instanceof Error ? { name: detail.name, message: detail.message, stack: detail.stack } : detail }, 'GitHub answered something unexpected');
  return new UpstreamError('github_unexpected_answer', `GitHub answered something unexpected for ${tool}; try again shortly, and report it if it persists.`, {
    cause: detail,
  });
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
/** A write that adds something new each call (a comment, an issue, a fork request...). */
export const CREATE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;
/** A write that can replace or remove what exists. */
export const CHANGE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;
/** A tool whose methods both create (not idempotent) and replace or remove (destructive). */
export const CREATE_OR_CHANGE = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

// GitHub's own name rules for every argument that becomes a URL path segment. Octokit percent-encodes
// "/" inside a segment but not ".", so "." or ".." would become a dot segment that URL normalisation
// resolves: get_issue {"owner":"..","repo":".."} would call GET /issues/1 with the server's token.
const DOT_SEGMENT = /^\.{1,2}$/;

/**
 * A string the server checks by `rule` but lists to the model as a plain string. The identifiers below
 * (logins, repository, branch and file names, SHAs) are copied from GitHub's own answers, so their
 * character rules would tell the model nothing while costing context in every tool that takes them
 * (about 35 tokens per owner/repo pair); a value that breaks a rule gets an error naming the rule.
 */
export const checkedString = (rule: (s: string) => boolean, message: string) => z.string().refine(rule, message);
const matches = (pattern: RegExp) => (s: string) => pattern.test(s);

/** A user or organization login: 1-39 letters, digits, "-" (and "_" of enterprise managed users), starting with a letter or digit. */
export const owner = checkedString(
  matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$/),
  'a GitHub login: 1-39 letters, digits, "-" or "_", starting with a letter or digit',
).describe('Owner login');
/** A repository name: 1-100 letters, digits, "-", "_" or ".", never "." or "..". */
export const repo = checkedString(matches(/^[A-Za-z0-9_.-]{1,100}$/), 'a GitHub repository name: 1-100 letters, digits, "-", "_" or "."')
  .refine((r) => !DOT_SEGMENT.test(r), 'a repository name cannot be "." or ".."')
  .describe('Repository name');
/** A file or directory path inside a repository: at most 1000 characters, no "." or ".." segments. */
export const filePath = checkedString((p) => p.length <= 1000, 'at most 1000 characters')
  .refine((p) => !p.split('/').some((s) => DOT_SEGMENT.test(s)), 'must not contain "." or ".." segments')
  .describe('Path inside the repository, e.g. "src/index.ts"; "" for the root directory');
/** A branch, tag or other ref name, by git's check-ref-format rules (so never a dot segment either). */
export const gitRefName = checkedString(
  (b) =>
    b.length >= 1 &&
    b.length <= 250 &&
    !/(\.\.|[\s~^:?*[\\\x7f]|@\{|\/\/|^\/|\/$|\.lock$|\.$|^-|(^|\/)\.)/.test(b) &&
    b !== '@' &&
    ![...b].some((c) => c.charCodeAt(0) < 0x20),
  'not a valid git branch or tag name (1-250 characters, git check-ref-format rules)',
);
export const branchName = gitRefName.describe('Branch name without "refs/heads/", e.g. "feature/login"');
/** A branch, tag or commit SHA. */
export const gitRef = gitRefName.describe('Branch, tag or commit SHA');
/** A workflow file name such as "ci.yml". */
export const workflowFile = checkedString(matches(/^[A-Za-z0-9_.-]{1,200}$/), 'a workflow file name such as "ci.yml"').refine(
  (f) => !DOT_SEGMENT.test(f),
  'a workflow file name cannot be "." or ".."',
);
export const repoArgs = { owner, repo };
export const issueNumber = z.number().int().positive().describe('Issue number (the #123 shown on GitHub)');
export const pullNumber = z.number().int().positive().describe('Pull request number');
export const gitSha = checkedString(matches(/^[0-9a-f]{40}$/i), 'a full 40-character commit SHA');

export const pagination = {
  page: z.number().int().min(1).max(1000).default(1).describe('Page number, starting at 1'),
  per_page: z.number().int().min(1).max(100).default(30).describe('Results per page (1-100)'),
};
export const pageOutput = {
  page: z.number(),
  per_page: z.number(),
  has_more: z.boolean().describe('True when a next page exists: call again with page + 1'),
};

const searchQuery = (description: string) => z.string().min(1).max(256).describe(description);

/** The arguments of a GitHub search tool: the query in GitHub search syntax and the page. */
export function searchArguments(queryDescription: string) {
  return z.object({ query: searchQuery(queryDescription), ...pagination });
}

/** The same, with the sort keys GitHub offers for that search and their order. */
export function sortedSearchArguments<const S extends readonly [string, ...string[]]>(queryDescription: string, sorts: S) {
  return z.object({ query: searchQuery(queryDescription), sort: z.enum(sorts).optional().describe('Default: best match'), order: z.enum(['asc', 'desc']).default('desc'), ...pagination });
}

/** The answer of a GitHub search: the total, whether GitHub cut the search short, the items, the page. */
export function searchResult<T extends z.ZodType>(item: T) {
  return z.object({ total_count: z.number(), incomplete_results: z.boolean(), items: z.array(item), ...pageOutput });
}

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
