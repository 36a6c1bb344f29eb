// Configuration for github-mcp: the only module that reads process.env. Parsed once, frozen.
import { baseConfigShape, envBoolean, envInt, envList, loadConfig, parseConfig, z } from '@factory/base-server';

export const TOOLSETS = ['context', 'repos', 'issues', 'pull_requests', 'users', 'labels', 'actions', 'releases', 'search'] as const;
export type Toolset = (typeof TOOLSETS)[number];
export const DEFAULT_TOOLSETS: readonly Toolset[] = ['context', 'repos', 'issues', 'pull_requests', 'users'];

/** `all`, or a comma-separated list of toolset names. */
const toolsets = z
  .string()
  .optional()
  .transform((v, ctx): Toolset[] => {
    const names = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) return [...DEFAULT_TOOLSETS];
    if (names.includes('all')) return [...TOOLSETS];
    const unknown = names.filter((n) => !(TOOLSETS as readonly string[]).includes(n));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown toolset "${unknown.join('", "')}" (known: ${TOOLSETS.join(', ')}, or all)` });
      return z.NEVER;
    }
    return [...new Set(names as Toolset[])];
  });

/** A PEM key from the environment; `\n` escapes (common in .env files and secrets managers) become newlines. */
const privateKey = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.replace(/\\n/g, '\n').trim() : undefined));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

export const githubConfigSchema = z
  .object({
    ...baseConfigShape,
    PORT: envInt(3001, 0, 65535),
    /** github.com, or the host name (or https:// URL) of a GitHub Enterprise Server. */
    GITHUB_HOST: z.string().min(1).default('github.com'),
    GITHUB_TOKEN: optionalString,
    GITHUB_APP_ID: optionalString,
    GITHUB_APP_PRIVATE_KEY: privateKey,
    GITHUB_APP_INSTALLATION_ID: envInt(0, 0),
    GITHUB_APP_INSTALLATION_OWNER: optionalString,
    GITHUB_TOOLSETS: toolsets,
    GITHUB_TOOLS_ALLOW: envList([]),
    GITHUB_TOOLS_DENY: envList([]),
    GITHUB_READ_ONLY: envBoolean(false),
    /** Start with the discovery tools only and enable toolsets on the model's request (stdio only). */
    GITHUB_DYNAMIC_TOOLSETS: envBoolean(false),
    /** Retries for idempotent requests (GET, HEAD, PUT, DELETE) after 5xx/network errors; POST/PATCH are never retried. */
    GITHUB_MAX_RETRIES: envInt(2, 0, 5),
    /** A read that hits a rate limit waits and retries once when the limit resets within this many seconds. */
    GITHUB_RATE_LIMIT_WAIT_SECONDS: envInt(5, 0, 60),
    /** `authentication` turns `warning` when the remaining core quota is below this. */
    GITHUB_RATE_LIMIT_WARN_REMAINING: envInt(100, 0),
    /** The readiness probe (GET /rate_limit) result is reused for this long. */
    GITHUB_READY_MIN_INTERVAL_MS: envInt(30_000, 0, 3_600_000),
  })
  .superRefine((c, ctx) => {
    if (c.GITHUB_TOKEN && c.GITHUB_APP_ID) {
      ctx.addIssue({ code: 'custom', path: ['GITHUB_TOKEN'], message: 'set either GITHUB_TOKEN or GITHUB_APP_ID (GitHub App), not both' });
    }
    if (c.GITHUB_APP_ID) {
      if (!/^\d+$/.test(c.GITHUB_APP_ID) && !/^Iv[\w.]+$/.test(c.GITHUB_APP_ID)) {
        ctx.addIssue({ code: 'custom', path: ['GITHUB_APP_ID'], message: 'expected the numeric app id (or the client id Iv...)' });
      }
      if (!c.GITHUB_APP_PRIVATE_KEY?.includes('PRIVATE KEY-----')) {
        ctx.addIssue({ code: 'custom', path: ['GITHUB_APP_PRIVATE_KEY'], message: 'required with GITHUB_APP_ID: the PEM private key of the GitHub App' });
      }
      if (!c.GITHUB_APP_INSTALLATION_ID && !c.GITHUB_APP_INSTALLATION_OWNER) {
        ctx.addIssue({
          code: 'custom',
          path: ['GITHUB_APP_INSTALLATION_ID'],
          message: 'required with GITHUB_APP_ID: set GITHUB_APP_INSTALLATION_ID, or GITHUB_APP_INSTALLATION_OWNER (the org or user the app is installed on)',
        });
      }
    }
  });

export type GithubConfig = Readonly<z.infer<typeof githubConfigSchema>>;

/** Parses settings (tests pass their own env); throws ConfigError naming the bad variable. */
export const parseGithubConfig = (env: Record<string, string | undefined>): GithubConfig => parseConfig(githubConfigSchema, env);

/** For the entry point: exits with one line on a bad setting. */
export const loadGithubConfig = (env: Record<string, string | undefined> = process.env): GithubConfig => loadConfig(githubConfigSchema, env);
