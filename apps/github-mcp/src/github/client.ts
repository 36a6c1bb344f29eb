// The Octokit client: throttling (GitHub's pacing for writes and search, rate-limit handling) and
// retries for idempotent requests only. POST and PATCH are never retried automatically.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import type { Logger } from '@factory/base-server';
import type { GithubConfig } from '../config.js';
import { appTokenProvider, staticTokenProvider, type TokenProvider } from './app-auth.js';

const GithubOctokit = Octokit.plugin(throttling, retry);
/** The client the tools use: Octokit's REST methods (plugins add behaviour, not methods the tools need). */
export type GithubClient = Octokit;

/** HTTP methods whose repetition has no additional effect; only these are retried. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** https://api.github.com for github.com, https://<host>/api/v3 for GitHub Enterprise Server. */
export function apiBaseUrl(host: string): string {
  const trimmed = host.trim().replace(/\/+$/, '');
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  const url = new URL(withScheme);
  if (url.hostname === 'github.com' || url.hostname === 'api.github.com') return 'https://api.github.com';
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path.endsWith('/api/v3') ? path : `${path}/api/v3`}`;
}

/** The abort signal of the tool call in progress; every GitHub request it makes carries it. */
export const callSignal = new AsyncLocalStorage<AbortSignal>();

export const USER_AGENT = 'factory-github-mcp/1.0';

/** Octokit's own messages go to the service logger, never the console. */
function octokitLog(logger: Logger) {
  const log = logger.child({ component: 'octokit' });
  return {
    debug: (msg: string) => log.debug(msg),
    info: (msg: string) => log.debug(msg),
    warn: (msg: string) => log.warn(msg),
    error: (msg: string) => log.debug(msg), // failed requests; the caller maps and reports them
  };
}

export function createTokenProvider(config: GithubConfig, logger: Logger, now?: () => number): TokenProvider {
  if (config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY) {
    const plain = new Octokit({ baseUrl: apiBaseUrl(config.GITHUB_HOST), userAgent: USER_AGENT, log: octokitLog(logger) });
    return appTokenProvider({
      appId: config.GITHUB_APP_ID,
      privateKey: config.GITHUB_APP_PRIVATE_KEY,
      ...(config.GITHUB_APP_INSTALLATION_ID ? { installationId: config.GITHUB_APP_INSTALLATION_ID } : {}),
      ...(config.GITHUB_APP_INSTALLATION_OWNER ? { owner: config.GITHUB_APP_INSTALLATION_OWNER } : {}),
      request: plain.request,
      ...(now ? { now } : {}),
    });
  }
  return staticTokenProvider(config.GITHUB_TOKEN);
}

interface EndpointOptions {
  method: string;
  url: string;
  headers: Record<string, string>;
  request?: { retries?: number };
}
type HookedRequest = ((options: EndpointOptions) => Promise<unknown>) & {
  endpoint: { merge: (route: unknown, parameters?: unknown) => EndpointOptions };
};

/** An Octokit auth strategy over a TokenProvider: one code path for PATs and App installation tokens. */
function providerAuthStrategy(provider: TokenProvider) {
  return () => {
    const auth = async () => {
      const token = await provider.token();
      return token ? { type: 'token', token, tokenType: provider.kind === 'app' ? 'installation' : 'oauth' } : { type: 'unauthenticated' };
    };
    auth.hook = async (request: HookedRequest, route: unknown, parameters?: unknown) => {
      const endpoint = request.endpoint.merge(route, parameters);
      const token = await provider.token();
      if (token) endpoint.headers.authorization = `token ${token}`;
      return request(endpoint);
    };
    return auth;
  };
}

export function createGithubClient(config: GithubConfig, logger: Logger, tokens: TokenProvider): GithubClient {
  const log = logger.child({ component: 'octokit' });
  const waitLimit = config.GITHUB_RATE_LIMIT_WAIT_SECONDS;
  const onLimit = (kind: string) => (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const retrying = retryCount === 0 && IDEMPOTENT_METHODS.has(options.method) && retryAfter <= waitLimit;
    log.warn({ method: options.method, url: options.url, retryAfter, retrying }, `GitHub ${kind} rate limit hit`);
    return retrying;
  };
  const octokit = new GithubOctokit({
    baseUrl: apiBaseUrl(config.GITHUB_HOST),
    userAgent: USER_AGENT,
    authStrategy: providerAuthStrategy(tokens),
    log: octokitLog(logger),
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    // Only transient failures (5xx, network) are retried; rate limits belong to the throttling plugin.
    retry: { retries: config.GITHUB_MAX_RETRIES, doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 429, 451] },
  });
  // Registered after the plugins, so it runs before them: a mutating request is never retried.
  octokit.hook.before('request', (options) => {
    const signal = callSignal.getStore();
    const request: Record<string, unknown> = { ...options.request };
    if (signal && !request.signal) request.signal = signal;
    const explicit = typeof request.retries === 'number' ? request.retries : undefined;
    const idempotent = IDEMPOTENT_METHODS.has(options.method);
    // Read by plugin-retry when a request fails; undefined means "the configured retries, for retryable
    // statuses only". Mutating requests and cancelled calls get 0.
    Object.defineProperty(request, 'retries', {
      get: () => (!idempotent || signal?.aborted ? 0 : explicit),
      enumerable: true,
      configurable: true,
    });
    options.request = request as typeof options.request;
  });
  return octokit;
}

