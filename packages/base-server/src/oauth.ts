// OAuth 2.1 resource server, per the MCP authorization spec: access tokens from the organisation's
// authorization server are verified here, never passed on (no token reaches GitHub or AWS).
// - JWTs (RFC 9068) are checked locally against the issuer's JWKS (jose): signature with an asymmetric
//   algorithm, `iss`, `aud` = this server's resource URI (RFC 8707), `exp`/`nbf` within a bounded skew.
//   Keys are cached; a token signed with an unknown `kid` refetches the set (after a cooldown).
// - Opaque tokens go to RFC 7662 introspection when an endpoint is configured.
// - The protected-resource metadata (RFC 9728) tells clients which authorization server to use.
// The checks shared with every MCP server (expiry present, resource matches) are the SDK's own
// `verifyBearerToken`; this module is the `OAuthTokenVerifier` it calls.
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import {
  OAuthError,
  OAuthErrorCode,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  verifyBearerToken,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { ConfigError, type BaseConfig } from './config.js';
import { ServiceUnavailableError } from './errors.js';
import { createTokenCache } from './token-cache.js';

export interface OAuthSettings {
  issuer: string;
  /** This server's resource URI: the `aud` tokens must carry, and `resource` of the metadata. */
  audience: string;
  jwksUrl: string | undefined;
  introspectionUrl: string | undefined;
  introspectionClient: { id: string; secret: string } | undefined;
  scopeClaim: string;
  clockSkewSeconds: number;
  timeoutMs: number;
  jwksCooldownMs: number;
  /** Verified JWTs remembered (token-cache.ts); 0 verifies every request. */
  tokenCacheSize: number;
}

/** The OAuth settings of a service's config, or undefined when OAuth is off (no OAUTH_ISSUER). */
export function oauthSettingsOf(config: BaseConfig): OAuthSettings | undefined {
  if (!config.OAUTH_ISSUER) return undefined;
  if (!config.OAUTH_AUDIENCE) {
    throw new ConfigError('Invalid configuration: OAUTH_AUDIENCE: required when OAUTH_ISSUER is set (this server\'s resource URI, e.g. https://deploy.example.com/mcp)');
  }
  const id = config.OAUTH_INTROSPECTION_CLIENT_ID;
  const secret = config.OAUTH_INTROSPECTION_CLIENT_SECRET;
  if ((id === undefined) !== (secret === undefined)) {
    throw new ConfigError('Invalid configuration: OAUTH_INTROSPECTION_CLIENT_ID: set it together with OAUTH_INTROSPECTION_CLIENT_SECRET, or neither');
  }
  return {
    issuer: config.OAUTH_ISSUER,
    audience: config.OAUTH_AUDIENCE,
    jwksUrl: config.OAUTH_JWKS_URL,
    introspectionUrl: config.OAUTH_INTROSPECTION_URL,
    introspectionClient: id !== undefined && secret !== undefined ? { id, secret } : undefined,
    scopeClaim: config.OAUTH_SCOPE_CLAIM,
    clockSkewSeconds: config.OAUTH_CLOCK_SKEW_SECONDS,
    timeoutMs: config.OAUTH_TIMEOUT_MS,
    jwksCooldownMs: config.OAUTH_JWKS_COOLDOWN_MS,
    tokenCacheSize: config.OAUTH_TOKEN_CACHE_SIZE,
  };
}

/** Where the protected-resource metadata of a resource URI lives (RFC 9728 §3.1, path-aware). */
export const resourceMetadataUrlOf = (audience: string): string => getOAuthProtectedResourceMetadataUrl(new URL(audience));

/**
 * The RFC 9728 document, built by the SDK (which refuses an issuer that is not HTTPS outside loopback):
 * throws ConfigError at start-up rather than on a client's first request.
 */
export function protectedResourceMetadata(settings: OAuthSettings, scopesSupported: readonly string[], resourceName: string): OAuthProtectedResourceMetadata {
  try {
    return {
      ...buildOAuthProtectedResourceMetadata({
        // Only `issuer` is read from it: the document names the authorization server, whose own metadata clients fetch.
        oauthMetadata: { issuer: settings.issuer } as OAuthMetadata,
        resourceServerUrl: new URL(settings.audience),
        scopesSupported: [...scopesSupported],
        resourceName,
      }),
      bearer_methods_supported: ['header'],
    };
  } catch (err) {
    throw new ConfigError(`Invalid configuration: OAUTH_ISSUER: ${(err as Error).message}`);
  }
}

// Asymmetric algorithms only: `none` and the HMAC family (a shared secret the resource server would hold) never verify.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const invalid = (description: string) => new OAuthError(OAuthErrorCode.InvalidToken, description);
const idpUnavailable = (cause: unknown) =>
  new ServiceUnavailableError('identity_provider_unavailable', 'The authorization server could not be reached to check the access token; retry shortly.', {
    cause,
    headers: { 'Retry-After': '5' },
  });

/** The scopes in a claim: a space-separated string (RFC 9068 `scope`) or an array (`scp` of some providers). */
function scopesOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return [];
}

/** A verified token's identity: who (`sub`) and through which client (`client_id`, or `azp` of OIDC). */
function authInfoOf(token: string, claims: JWTPayload & Record<string, unknown>, settings: OAuthSettings): AuthInfo {
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : '';
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  return {
    token,
    clientId,
    scopes: scopesOf(claims[settings.scopeClaim]),
    ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    // jose (or the introspection check) already matched the audience; the SDK compares it once more.
    ...(audiences.includes(settings.audience) ? { resource: new URL(settings.audience) } : {}),
    extra: { subject: typeof claims.sub === 'string' ? claims.sub : undefined },
  };
}

async function fetchJson(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw idpUnavailable(err);
  }
  if (!res.ok) throw idpUnavailable(new Error(`${url} answered ${res.status}`));
  try {
    return await res.json();
  } catch (err) {
    throw idpUnavailable(err);
  }
}

/**
 * The issuer's JWKS location from its metadata: OpenID Connect discovery, then RFC 8414, both at the
 * well-known paths of the issuer; the document must name the same issuer (RFC 8414 §3.3).
 */
async function discoverJwksUri(settings: OAuthSettings): Promise<string> {
  const base = settings.issuer.replace(/\/$/, '');
  let lastError: unknown;
  for (const url of [`${base}/.well-known/openid-configuration`, `${base}/.well-known/oauth-authorization-server`]) {
    try {
      const doc = (await fetchJson(url, {}, settings.timeoutMs)) as { issuer?: unknown; jwks_uri?: unknown };
      if (doc.issuer !== settings.issuer) throw idpUnavailable(new Error(`${url} names issuer ${String(doc.issuer)}, not ${settings.issuer}`));
      if (typeof doc.jwks_uri !== 'string') throw idpUnavailable(new Error(`${url} has no jwks_uri`));
      return doc.jwks_uri;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export function createTokenVerifier(settings: OAuthSettings): OAuthTokenVerifier {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const jwks = (): Promise<JWTVerifyGetKey> => {
    keySet ??= (async () => {
      const url = settings.jwksUrl ?? (await discoverJwksUri(settings));
      return createRemoteJWKSet(new URL(url), { timeoutDuration: settings.timeoutMs, cooldownDuration: settings.jwksCooldownMs });
    })();
    // A failed discovery is retried by the next request, not cached.
    keySet.catch(() => (keySet = undefined));
    return keySet;
  };

  async function verifyJwt(token: string): Promise<AuthInfo> {
    const getKey = await jwks();
    // A key set that cannot be fetched is the authorization server's outage (503), not a bad token (401).
    const keys: JWTVerifyGetKey = async (header, input) => {
      try {
        return await getKey(header, input);
      } catch (err) {
        if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
        throw idpUnavailable(err);
      }
    };
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: settings.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      return authInfoOf(token, payload, settings);
    } catch (err) {
      if (err instanceof ServiceUnavailableError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw invalid('Token has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw invalid(`Token ${err.claim === 'aud' ? 'was not issued for this resource' : `claim "${err.claim}" is not acceptable`}`);
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw invalid('Token is signed with a key the issuer does not publish');
      throw invalid('Token signature or format is not valid');
    }
  }

  /** RFC 7662: the authorization server says whether an opaque token is active, and for whom. */
  async function introspect(url: string, token: string): Promise<AuthInfo> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (settings.introspectionClient) {
      const { id, secret } = settings.introspectionClient;
      headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    }
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
    const claims = (await fetchJson(url, { method: 'POST', headers, body }, settings.timeoutMs)) as JWTPayload & Record<string, unknown>;
    if (claims.active !== true) throw invalid('Token is not active');
    if (claims.iss !== undefined && claims.iss !== settings.issuer) throw invalid('Token claim "iss" is not acceptable');
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!audiences.includes(settings.audience)) throw invalid('Token was not issued for this resource');
    const now = Date.now() / 1000;
    if (typeof claims.nbf === 'number' && claims.nbf > now + settings.clockSkewSeconds) throw invalid('Token is not valid yet');
    return authInfoOf(token, claims, settings);
  }

  const verified = createTokenCache({ maxEntries: settings.tokenCacheSize });
  return {
    verifyAccessToken(token) {
      if (token.split('.').length === 3) {
        const cached = verified.get(token);
        if (cached) return Promise.resolve(cached);
        return verifyJwt(token).then((info) => {
          verified.set(token, info);
          return info;
        });
      }
      if (settings.introspectionUrl) return introspect(settings.introspectionUrl, token);
      return Promise.reject(invalid('Token is not a JWT, and this server has no introspection endpoint for opaque tokens'));
    },
  };
}

/**
 * Verifies an `Authorization` header with the SDK's `verifyBearerToken` (format, expiry present and
 * not past, resource = this server) over our verifier. Throws OAuthError (401/403) or
 * ServiceUnavailableError (the authorization server is down).
 */
export function createBearerVerification(settings: OAuthSettings): (authorization: string | undefined) => Promise<AuthInfo> {
  const options = { verifier: createTokenVerifier(settings), expectedResource: new URL(settings.audience), resourceMetadataUrl: resourceMetadataUrlOf(settings.audience) };
  return (authorization) => verifyBearerToken(authorization, options);
}
