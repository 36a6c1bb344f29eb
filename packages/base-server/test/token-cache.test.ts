// The verified-token cache (src/token-cache.ts) on its own, with a clock the test moves.
import { describe, expect, it } from '@jest/globals';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { TOKEN_CACHE_MAX_AGE_MS, createTokenCache } from '../src/token-cache.js';

const info = (token: string, expiresAt: number | undefined): AuthInfo => ({ token, clientId: 'c', scopes: ['s:read'], ...(expiresAt !== undefined ? { expiresAt } : {}) });

describe('verified-token cache', () => {
  it('returns a verified token until its exp, and nothing from exp on', () => {
    let t = 1_000_000;
    const cache = createTokenCache({ maxEntries: 10, now: () => t });
    cache.set('a.b.c', info('a.b.c', t / 1000 + 30));
    expect(cache.get('a.b.c')?.clientId).toBe('c');
    t += 29_999;
    expect(cache.get('a.b.c')).toBeDefined();
    t += 1;
    expect(cache.get('a.b.c')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it(`reuses a verification at most ${TOKEN_CACHE_MAX_AGE_MS} ms, even for a long-lived token`, () => {
    let t = 5_000_000;
    const cache = createTokenCache({ maxEntries: 10, now: () => t });
    cache.set('long', info('long', t / 1000 + 86_400));
    t += TOKEN_CACHE_MAX_AGE_MS - 1;
    expect(cache.get('long')).toBeDefined();
    t += 1;
    expect(cache.get('long')).toBeUndefined();
  });

  it('stays bounded, evicting the least recently used token', () => {
    const cache = createTokenCache({ maxEntries: 2, now: () => 0 });
    cache.set('one', info('one', 100));
    cache.set('two', info('two', 100));
    expect(cache.get('one')).toBeDefined(); // "two" is now the least recently used
    cache.set('three', info('three', 100));
    expect(cache.size).toBe(2);
    expect(cache.get('two')).toBeUndefined();
    expect(cache.get('one')?.token).toBe('one');
    expect(cache.get('three')?.token).toBe('three');
  });

  it('keeps nothing with size 0, and never a token without exp', () => {
    const off = createTokenCache({ maxEntries: 0, now: () => 0 });
    off.set('x', info('x', 100));
    expect(off.get('x')).toBeUndefined();
    const on = createTokenCache({ maxEntries: 5, now: () => 0 });
    on.set('no-exp', info('no-exp', undefined));
    expect(on.get('no-exp')).toBeUndefined();
  });

  it('is keyed by the whole token: a token differing in one character is not a hit', () => {
    const cache = createTokenCache({ maxEntries: 5, now: () => 0 });
    cache.set('header.payload.signature', info('header.payload.signature', 100));
    expect(cache.get('header.payload.signaturf')).toBeUndefined();
  });
});
