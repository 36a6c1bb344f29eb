// Readiness: `github_api` (GitHub answers) and `authentication` (the credentials work, with the core
// quota). Both come from one GET /rate_limit, which costs no quota, reused for a minimum interval.
import { AppError, type CheckOutcome, type ReadinessCheck } from '@factory/base-server';
import type { GithubClient } from './client.js';
import type { TokenProvider } from './app-auth.js';

interface Probe {
  status?: number;
  error?: string;
  core?: { limit: number; remaining: number; reset: number };
}

export interface GithubChecksOptions {
  octokit: GithubClient;
  tokens: TokenProvider;
  warnRemaining: number;
  minIntervalMs: number;
}

export function githubChecks({ octokit, tokens, warnRemaining, minIntervalMs }: GithubChecksOptions): ReadinessCheck[] {
  // The two checks share one request per evaluation (they run in parallel).
  let inFlight: Promise<Probe> | undefined;
  const probe = (signal: AbortSignal): Promise<Probe> => {
    inFlight ??= (async (): Promise<Probe> => {
      try {
        const { data } = await octokit.rest.rateLimit.get({ request: { signal, retries: 0 } });
        return { status: 200, core: data.resources.core };
      } catch (err) {
        const e = err as { status?: number; message?: string; response?: unknown; cause?: { message?: string; cause?: { message?: string } } };
        // Octokit reports network failures as status 500 without a response; the reason is in the cause.
        const answered = typeof e.status === 'number' && (e.response !== undefined || (err instanceof AppError && e.status < 500));
        const raw = answered ? e.message : (e.cause?.cause?.message ?? e.cause?.message ?? e.message);
        const message = (raw ?? 'request failed').split('\n', 1)[0] ?? 'request failed';
        return { ...(answered ? { status: e.status } : {}), error: message };
      }
    })().finally(() => setTimeout(() => (inFlight = undefined), 0).unref());
    return inFlight;
  };

  return [
    {
      name: 'github_api',
      required: true,
      minIntervalMs,
      async run(signal): Promise<CheckOutcome | void> {
        const p = await probe(signal);
        // Any HTTP answer below 500 (also 401/403) proves the API is reachable.
        if (p.status !== undefined && p.status < 500) return;
        if (p.status !== undefined) throw new Error(`GitHub API answered ${p.status} (${p.error}); GitHub may be degraded`);
        throw new Error(`GitHub API unreachable: ${p.error}; check GITHUB_HOST and outbound network access`);
      },
    },
    {
      name: 'authentication',
      required: true,
      minIntervalMs,
      async run(signal): Promise<CheckOutcome | void> {
        if (tokens.kind === 'none') {
          return { status: 'not_configured', message: 'no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings' };
        }
        const p = await probe(signal);
        if (p.status === 401) {
          throw new Error(tokens.kind === 'app' ? (p.error ?? 'GitHub rejected the GitHub App credentials') : 'GitHub rejected GITHUB_TOKEN (401 Bad credentials); set a valid token');
        }
        if (!p.core) throw new Error(`could not verify the credentials: ${p.error ?? 'no answer'}`);
        const details = { method: tokens.kind, remaining: p.core.remaining, limit: p.core.limit, reset: new Date(p.core.reset * 1000).toISOString() };
        if (p.core.remaining < warnRemaining) {
          return { status: 'warning', message: `GitHub core quota low: ${p.core.remaining} of ${p.core.limit} requests left until ${details.reset}`, details };
        }
        return { details };
      },
    },
  ];
}
