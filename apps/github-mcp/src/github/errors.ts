// GitHub HTTP failures become AppErrors whose messages tell the calling model what to fix.
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitError, ServiceUnavailableError, UpstreamError } from '@factory/base-server';

interface GithubErrorLike {
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isGithubError(err: unknown): err is GithubErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number' && err instanceof Error;
}

/** "GET /repos/o/r" without host, query or secrets. */
function describeRequest(err: GithubErrorLike): string {
  const method = err.request?.method ?? 'request';
  const url = err.request?.url;
  if (!url) return method;
  try {
    const u = new URL(url);
    return `${method} ${u.pathname.replace(/^\/api\/v3/, '')}`;
  } catch {
    return method;
  }
}

function githubMessage(err: GithubErrorLike): string {
  const data = err.response?.data;
  let message = typeof data === 'object' && data && typeof (data as { message?: unknown }).message === 'string' ? (data as { message: string }).message : '';
  if (!message) message = (err.message.split(' - ', 1)[0] ?? '').trim();
  const details = typeof data === 'object' && data && Array.isArray((data as { errors?: unknown }).errors) ? (data as { errors: unknown[] }).errors : [];
  const parts = details.slice(0, 5).map((e) => {
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e) {
      const o = e as { message?: string; field?: string; code?: string; resource?: string };
      return o.message ?? [o.resource, o.field, o.code].filter(Boolean).join(' ');
    }
    return '';
  });
  const extra = parts.filter(Boolean).join('; ');
  const text = extra ? `${message} (${extra})` : message;
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

function header(err: GithubErrorLike, name: string): string | undefined {
  const v = err.response?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

/** When a rate limit resets, from `retry-after` or `x-ratelimit-reset`; undefined when the error is not a rate limit. */
export function rateLimitReset(err: GithubErrorLike, now = Date.now()): { seconds: number; at: Date } | undefined {
  if (err.status !== 403 && err.status !== 429) return undefined;
  const retryAfter = Number(header(err, 'retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return { seconds: retryAfter, at: new Date(now + retryAfter * 1000) };
  const secondary = /secondary rate limit|abuse/i.test(githubMessage(err));
  if (header(err, 'x-ratelimit-remaining') === '0' || secondary || err.status === 429) {
    const reset = Number(header(err, 'x-ratelimit-reset'));
    if (Number.isFinite(reset) && reset > 0) {
      const seconds = Math.max(1, Math.ceil(reset - now / 1000));
      return { seconds, at: new Date(reset * 1000) };
    }
    return { seconds: 60, at: new Date(now + 60_000) };
  }
  return undefined;
}

/** What to set when the server has no GitHub credentials at all (not a token that is wrong). */
export const NO_CREDENTIALS = 'github-mcp has no GitHub credentials configured: an operator must set GITHUB_TOKEN, or the GITHUB_APP_* settings, on the server.';

/** A write refused before any request: without credentials GitHub would only answer 401 or 404. */
export function credentialsMissing(tool: string): AppError {
  return new ServiceUnavailableError('github_credentials_missing', `${tool} changes GitHub, which needs credentials. ${NO_CREDENTIALS}`, { retryable: false });
}

/**
 * The same failure, worded for a server without credentials: GitHub's 401 then means "sign in", not
 * "your token is invalid or expired". Other errors pass through.
 */
export function withoutCredentials(err: AppError): AppError {
  if (err.code !== 'github_unauthorized' || !isGithubError(err.cause)) return err;
  const gh = githubMessage(err.cause);
  return new ServiceUnavailableError('github_credentials_missing', `GitHub requires authentication for ${describeRequest(err.cause)} (401 ${gh || 'Requires authentication'}). ${NO_CREDENTIALS}`, {
    retryable: false,
    cause: err.cause,
  });
}

/** Maps anything Octokit throws to an AppError; AppErrors pass through unchanged. */
export function toGithubError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // Octokit reports network failures as status 500 without a response.
  if (!isGithubError(err) || !err.response) {
    const msg = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
    return new UpstreamError('github_unreachable', `Could not reach the GitHub API (${msg}). Try again later; if it persists, check GITHUB_HOST and the network.`, {
      cause: err,
    });
  }
  const what = describeRequest(err);
  const gh = githubMessage(err);
  const limit = rateLimitReset(err);
  if (limit) {
    return new RateLimitError(
      `GitHub rate limit exceeded for ${what} (${gh || 'rate limited'}); it resets at ${limit.at.toISOString()} (in ${limit.seconds} s). Wait until then, or make fewer, narrower requests.`,
      limit.seconds,
      { cause: err, details: { reset_at: limit.at.toISOString() } },
    );
  }
  switch (err.status) {
    case 401:
      return new AppError('github_unauthorized', `GitHub rejected the credentials for ${what} (401 ${gh || 'Bad credentials'}). The server's GitHub token is invalid or expired; an operator must fix GITHUB_TOKEN or the GitHub App settings.`, {
        status: 401,
        type: 'authentication_error',
        cause: err,
      });
    case 403:
      return new ForbiddenError('github_forbidden', `GitHub refused ${what} (403 ${gh || 'Forbidden'}). The token lacks the permission or scope this needs, or the resource is protected.`, {
        cause: err,
      });
    case 404:
      return new NotFoundError('github_not_found', `GitHub found nothing at ${what} (404). Check the owner, repository, number, branch or path; private resources also answer 404 when the token cannot see them.`, {
        cause: err,
      });
    case 409:
    case 405:
      return new ConflictError('github_conflict', `GitHub refused ${what} because of the current state (${err.status} ${gh}). Re-read the resource and retry with fresh values.`, {
        cause: err,
      });
    case 400:
    case 422:
      return new BadRequestError('github_validation_failed', `GitHub rejected ${what} as invalid (${err.status} ${gh || 'Validation Failed'}). Fix the arguments and try again.`, {
        cause: err,
      });
    default:
      if (err.status >= 500) {
        return new UpstreamError('github_unavailable', `GitHub failed on ${what} (${err.status} ${gh}). This is on GitHub's side; try again shortly.`, { cause: err });
      }
      return new AppError('github_error', `GitHub answered ${err.status} for ${what}: ${gh}`, { status: err.status >= 400 && err.status < 500 ? err.status : 502, cause: err });
  }
}
