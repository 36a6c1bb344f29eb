// Credentials for GitHub: a personal access token, or a GitHub App installation whose tokens are cached
// until shortly before they expire (GitHub issues them for one hour).
import { createAppAuth } from '@octokit/auth-app';
import type { Octokit } from '@octokit/rest';
import { AppError } from '@factory/base-server';
import { toGithubError } from './errors.js';

export interface TokenProvider {
  /** `token` (PAT), `app` (GitHub App installation) or `none` (unauthenticated, public data only). */
  readonly kind: 'token' | 'app' | 'none';
  /** The token to send, or undefined when unauthenticated. */
  token(): Promise<string | undefined>;
}

export function staticTokenProvider(token: string | undefined): TokenProvider {
  return { kind: token ? 'token' : 'none', token: async () => token };
}

export interface AppTokenOptions {
  appId: string;
  privateKey: string;
  installationId?: number;
  /** Org or user the app is installed on, when the installation id is not configured. */
  owner?: string;
  /** An unauthenticated request function bound to the API base URL. */
  request: Octokit['request'];
  /** Tokens are replaced this long before they expire (default 5 minutes). */
  refreshMarginMs?: number;
  now?: () => number;
}

export interface AppTokenProvider extends TokenProvider {
  readonly kind: 'app';
  /** How many installation tokens were requested from GitHub (for logs and metrics). */
  readonly issued: number;
}

export function appTokenProvider(options: AppTokenOptions): AppTokenProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  let issued = 0;
  // auth-app's cache values are "token|createdAt|expiresAt|...": keep each only until `margin` before expiresAt.
  const cache = {
    // auth-app treats a falsy value as a miss, though its type says string.
    get: (key: string): string => {
      const e = entries.get(key);
      if (!e) return '';
      if (now() >= e.expiresAt - margin) {
        entries.delete(key);
        return '';
      }
      return e.value;
    },
    set: (key: string, value: string): void => {
      issued++;
      const expiresAt = Date.parse(value.split('|')[2] ?? '');
      entries.set(key, { value, expiresAt: Number.isFinite(expiresAt) ? expiresAt : now() + 55 * 60_000 });
    },
  };
  const auth = createAppAuth({ appId: options.appId, privateKey: options.privateKey, request: options.request, cache });
  let installation: Promise<number> | undefined = options.installationId ? Promise.resolve(options.installationId) : undefined;

  const findInstallation = async (): Promise<number> => {
    const owner = options.owner ?? '';
    const { token: jwt } = await auth({ type: 'app' });
    const headers = { authorization: `bearer ${jwt}` };
    try {
      const { data } = await options.request('GET /orgs/{org}/installation', { org: owner, headers });
      return data.id;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      const { data } = await options.request('GET /users/{username}/installation', { username: owner, headers });
      return data.id;
    }
  };

  return {
    kind: 'app',
    get issued() {
      return issued;
    },
    async token() {
      try {
        if (!installation) {
          installation = findInstallation();
          installation.catch(() => {
            installation = undefined; // try again on the next call
          });
        }
        const installationId = await installation;
        const result = await auth({ type: 'installation', installationId });
        return result.token;
      } catch (err) {
        const mapped = toGithubError(err);
        if (mapped.status >= 500) throw mapped; // GitHub unreachable or failing: not a credentials problem
        const where = options.installationId ? `installation ${options.installationId}` : `the installation on "${options.owner}"`;
        throw new AppError(
          'github_app_auth_failed',
          `Could not get a GitHub App token for app ${options.appId} (${where}): ${mapped.message} Check GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and the installation settings.`,
          { status: mapped.status, type: 'authentication_error', cause: err },
        );
      }
    },
  };
}
