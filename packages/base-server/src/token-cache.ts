// Verified access tokens, remembered so that a client sending the same JWT on every request pays for
// its signature check once: a bounded LRU keyed by the token's SHA-256 (the token itself is the value's
// `token` only, in memory), each entry kept until the token's `exp` or `maxAgeMs` after it was
// verified, whichever comes first.
//
// Revocation: a JWT is self-contained — a resource server that verifies it locally accepts it until
// `exp` whether or not it is cached, so caching changes nothing there. What the cache could extend is
// a signing key's life after the issuer removes it from its JWKS; `maxAgeMs` (60 s) keeps that below
// the key set's own cache (jose's remote JWKS keeps keys 10 minutes). Opaque tokens checked by RFC 7662
// introspection are never cached: revoking one at the authorization server takes effect on the next
// request. Failed verifications are never cached (the failed-auth limiter bounds their cost).
import { createHash } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';

export interface TokenCacheOptions {
  /** Most tokens kept (0: no cache). */
  maxEntries: number;
  /** Longest an entry is reused after its verification. */
  maxAgeMs?: number;
  now?: () => number;
}

export interface TokenCache {
  /** The AuthInfo a token was verified to, if it was verified recently and has not expired. */
  get(token: string): AuthInfo | undefined;
  set(token: string, info: AuthInfo): void;
  readonly size: number;
}

export const TOKEN_CACHE_MAX_AGE_MS = 60_000;

const keyOf = (token: string) => createHash('sha256').update(token).digest('base64');

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const maxAgeMs = options.maxAgeMs ?? TOKEN_CACHE_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { info: AuthInfo; until: number }>();
  return {
    get(token) {
      if (options.maxEntries <= 0) return undefined;
      const key = keyOf(token);
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (now() >= entry.until) return undefined;
      entries.set(key, entry); // most recently used last
      return entry.info;
    },
    set(token, info) {
      if (options.maxEntries <= 0) return;
      // A token without `exp` is not remembered (verification requires one; this is a second guard).
      if (info.expiresAt === undefined) return;
      const until = Math.min(info.expiresAt * 1000, now() + maxAgeMs);
      const key = keyOf(token);
      entries.delete(key);
      entries.set(key, { info, until });
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
