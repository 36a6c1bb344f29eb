// A Redis read cache for get_recent_turns and get_compressed_memory.
//
// One hash per session holds every cached answer for it, one field per kind of read (`recent:20`,
// `compressed:all`), each tagged with the session's cache epoch it was computed under. A read looks up
// the epoch in Postgres and the entry in Redis at once, and serves the entry only when its epoch is the
// current one (why that is never stale, on any replica: cache-epoch.ts). Correctness never depends on
// Redis: a replica that cannot reach Redis still acknowledges its writes, and no replica can serve what
// it cached before them. Deleting a session's hash after a write (`invalidate`) only frees memory early;
// it is best effort and never awaited. The epoch is kept in the entry rather than in the key, so a
// session has one entry per kind of read (the next fill overwrites it), not one per write until the TTL.
//
// A cache failure never becomes an error: reads fall back to Postgres, every command is bounded by the
// client's command timeout, and after a failed command this process leaves Redis alone for a second
// (so a hanging Redis costs one timed-out lookup a second, not one per read), then uses it again.
//
// Keys are `<prefix>cache:` + compositeKey(agent, session): ids may contain ':' and must never share an entry.
import type { Redis } from 'ioredis';
import { compositeKey, type Logger } from '@factory/base-server';
import type { CacheEpochs } from './cache-epoch.js';

export interface MemoryCache {
  /** Returns the cached value, or computes it (and stores it) when absent or computed under an older epoch. */
  get<T>(agentId: string, sessionId: string, field: string, compute: () => Promise<T>): Promise<T>;
  /** Frees a session's entries after a write or a forget (best effort: no correctness depends on it). */
  invalidate(agentId: string, sessionId: string): void;
}

export const noCache: MemoryCache = {
  get: (_a, _s, _f, compute) => compute(),
  invalidate: () => {},
};

/** How long Redis is left alone after a cache command failed. */
const PAUSE_AFTER_ERROR_MS = 1_000;

// HSET and EXPIRE in one command (no MULTI): a filled entry always has a TTL.
const FILL = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('EXPIRE', KEYS[1], ARGV[3])`;

interface CacheScripts {
  memoryCacheFill(key: string, field: string, value: string, ttl: number): Promise<number>;
}

interface Entry<T> {
  /** The session's cache epoch the value was computed under. */
  e: string;
  v: T;
}

export interface RedisCacheOptions {
  redis: Redis;
  /** The sessions' current epochs (Postgres): an entry of another epoch is never served. */
  epochs: CacheEpochs;
  prefix: string;
  ttlSeconds: number;
  logger: Logger;
  onError?: () => void;
}

export function createRedisCache({ redis: client, epochs, prefix, ttlSeconds, logger, onError }: RedisCacheOptions): MemoryCache {
  const redis = client as Redis & CacheScripts;
  if (!('memoryCacheFill' in redis)) client.defineCommand('memoryCacheFill', { numberOfKeys: 1, lua: FILL });
  const keyOf = (agentId: string, sessionId: string) => `${prefix}cache:${compositeKey(agentId, sessionId)}`;

  let pausedUntil = 0;
  let lastWarn = 0;
  const failed = (err: unknown, op: string) => {
    onError?.();
    const now = Date.now();
    pausedUntil = now + PAUSE_AFTER_ERROR_MS;
    if (now - lastWarn > 10_000) {
      lastWarn = now;
      logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, op }, 'memory cache unavailable; using Postgres');
    }
  };
  const usable = () => redis.status === 'ready' && Date.now() >= pausedUntil;

  /** The entry of `field`, or undefined (absent, unreadable, or Redis failing: the read goes to Postgres). */
  const lookup = async <T>(key: string, field: string): Promise<Entry<T> | undefined> => {
    try {
      const raw = await redis.hget(key, field);
      return raw ? (JSON.parse(raw) as Entry<T>) : undefined;
    } catch (err) {
      failed(err, 'get');
      return undefined;
    }
  };

  // Sessions written in the same turn of the event loop (a group commit) are freed with one DEL.
  let freeing: Set<string> | undefined;
  const free = (keys: Set<string>) => {
    freeing = undefined;
    if (!usable()) return;
    redis.del(...keys).catch((err: unknown) => failed(err, 'invalidate'));
  };

  return {
    async get<T>(agentId: string, sessionId: string, field: string, compute: () => Promise<T>): Promise<T> {
      if (ttlSeconds === 0) return compute();
      const key = keyOf(agentId, sessionId);
      const useRedis = usable();
      // The epoch must be read before the value is computed; the entry may be looked up at any time.
      const [epoch, entry] = await Promise.all([epochs(agentId, sessionId), useRedis ? lookup<T>(key, field) : undefined]);
      if (epoch === undefined) return compute();
      if (entry?.e === epoch) return entry.v;
      const value = await compute();
      if (useRedis) {
        const fill: Entry<T> = { e: epoch, v: value };
        redis.memoryCacheFill(key, field, JSON.stringify(fill), ttlSeconds).catch((err: unknown) => failed(err, 'set'));
      }
      return value;
    },
    invalidate(agentId, sessionId) {
      if (!freeing) {
        const keys = new Set<string>();
        freeing = keys;
        process.nextTick(() => free(keys));
      }
      freeing.add(keyOf(agentId, sessionId));
    },
  };
}
