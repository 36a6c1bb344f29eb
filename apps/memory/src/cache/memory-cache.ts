// A Redis read cache for get_recent_turns and get_compressed_memory.
//
// One hash per session holds every cached answer for it, plus a generation counter `gen`. An entry
// records the generation it was computed under and only counts as a hit while that generation is
// current; invalidation sets a new random generation. So an answer computed from Postgres just before a write
// can never be served after it, even when the write's invalidation lands between our read and our fill.
//
// A cache failure never becomes an error: reads fall back to Postgres, and every command is bounded by
// the client's command timeout, so a write is acknowledged once committed even when Redis hangs.
// Invalidations that fail are remembered; until they are delivered this process bypasses the cache, so no
// answer from before an acknowledged write is ever served by it. They are replayed when the connection
// is back, and retried with backoff while it stays up (a command that timed out or was refused once),
// so the cache heals by itself.
//
// Keys are `<prefix>cache:` + compositeKey(agent, session): ids may contain ':' and must never share an entry.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { compositeKey, type Logger } from '@factory/base-server';

export interface MemoryCache {
  /** Returns the cached value, or computes it (and stores it) when absent or stale. */
  get<T>(agentId: string, sessionId: string, field: string, compute: () => Promise<T>): Promise<T>;
  invalidate(agentId: string, sessionId: string): Promise<void>;
  /** Removes a session's entries outright (forget). */
  drop(agentId: string, sessionId: string): Promise<void>;
}

export const noCache: MemoryCache = {
  get: (_a, _s, _f, compute) => compute(),
  invalidate: async () => {},
  drop: async () => {},
};

const MAX_DIRTY = 10_000;
/** Backoff of the replay of missed invalidations while the connection stays up. */
const REPLAY_FIRST_MS = 500;
const REPLAY_MAX_MS = 30_000;
/**
 * Fresh, never-repeating generations: a random id per process plus a counter (entries computed under any
 * earlier generation are never served). The bump script appends the key's position.
 */
const BOOT = randomBytes(8).toString('hex');
let generations = 0;
const newGen = () => `${BOOT}.${(generations++).toString(36)}`;

// One command per operation (no MULTI): each script sets or bumps and refreshes the TTL atomically.
const BUMP = `for i, key in ipairs(KEYS) do
  if ARGV[3] == '1' then redis.call('DEL', key) end
  redis.call('HSET', key, 'gen', ARGV[1] .. ':' .. i)
  redis.call('EXPIRE', key, ARGV[2])
end
return #KEYS`;
const FILL = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('EXPIRE', KEYS[1], ARGV[3])`;

interface CacheScripts {
  memoryCacheBump(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
  memoryCacheFill(key: string, field: string, value: string, ttl: number): Promise<number>;
}

/** Bumps the generation of `keys` (deleting their entries first when `drop`): one round trip for all. */
function bump(redis: Redis & CacheScripts, keys: readonly string[], ttlSeconds: number, drop: boolean): Promise<number> {
  return redis.memoryCacheBump(keys.length, ...keys, newGen(), Math.max(ttlSeconds, 60), drop ? '1' : '0');
}

export interface RedisCacheOptions {
  redis: Redis;
  prefix: string;
  ttlSeconds: number;
  logger: Logger;
  onError?: () => void;
  /** First delay before missed invalidations are retried on a live connection (doubles up to 30 s). */
  replayDelayMs?: number;
}

export function createRedisCache({ redis: client, prefix, ttlSeconds, logger, onError, replayDelayMs = REPLAY_FIRST_MS }: RedisCacheOptions): MemoryCache {
  const redis = client as Redis & CacheScripts;
  if (!('memoryCacheBump' in redis)) {
    client.defineCommand('memoryCacheBump', { lua: BUMP });
    client.defineCommand('memoryCacheFill', { numberOfKeys: 1, lua: FILL });
  }
  // Missed invalidations, each with the number of the miss: a replay clears only what it delivered.
  const dirty = new Map<string, number>();
  let misses = 0;
  let overflow = false;
  let lastWarn = 0;
  const keyOf = (agentId: string, sessionId: string) => `${prefix}cache:${compositeKey(agentId, sessionId)}`;
  const warn = (err: unknown, op: string) => {
    onError?.();
    const now = Date.now();
    if (now - lastWarn > 10_000) {
      lastWarn = now;
      logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, op }, 'memory cache unavailable; using Postgres');
    }
  };
  const usable = () => redis.status === 'ready' && dirty.size === 0 && !overflow;

  let replayTimer: NodeJS.Timeout | undefined;
  let replayDelay = replayDelayMs;
  let replaying = false;
  const replay = async () => {
    if (replaying) return;
    replaying = true;
    try {
      if (overflow) {
        // Too many missed invalidations to remember: drop every cache entry.
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}cache:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
        overflow = false;
      }
      const missed = [...dirty];
      const keys = missed.map(([key]) => key);
      for (let i = 0; i < keys.length; i += 500) await bump(redis, keys.slice(i, i + 500), ttlSeconds, false);
      for (const [key, miss] of missed) if (dirty.get(key) === miss) dirty.delete(key);
      replayDelay = replayDelayMs;
    } catch (err) {
      warn(err, 'replay');
    } finally {
      replaying = false;
    }
    if (dirty.size > 0 || overflow) scheduleReplay();
  };
  // While disconnected, the 'ready' of the reconnect replays; on a live connection, a timer does.
  function scheduleReplay() {
    if (replayTimer || redis.status === 'end') return;
    replayTimer = setTimeout(() => {
      replayTimer = undefined;
      if (redis.status === 'ready') void replay();
    }, replayDelay);
    replayTimer.unref();
    replayDelay = Math.min(replayDelay * 2, REPLAY_MAX_MS);
  }
  redis.on('ready', () => void replay());

  const remember = (key: string) => {
    if (dirty.size >= MAX_DIRTY) overflow = true;
    else dirty.set(key, ++misses);
    scheduleReplay();
  };

  let pending: { keys: Set<string>; done: Promise<void> } | undefined;
  const flush = async (keys: Set<string>): Promise<void> => {
    try {
      await bump(redis, [...keys], ttlSeconds, false);
    } catch (err) {
      warn(err, 'invalidate');
      for (const key of keys) remember(key);
    }
  };

  return {
    async get<T>(agentId: string, sessionId: string, field: string, compute: () => Promise<T>): Promise<T> {
      if (!usable() || ttlSeconds === 0) return compute();
      const key = keyOf(agentId, sessionId);
      let gen = '0';
      try {
        const [g, cached] = await redis.hmget(key, 'gen', field);
        gen = g ?? '0';
        if (cached) {
          const entry = JSON.parse(cached) as { g: string; v: T };
          if (entry.g === gen) return entry.v;
        }
      } catch (err) {
        warn(err, 'get');
        return compute();
      }
      const value = await compute();
      redis.memoryCacheFill(key, field, JSON.stringify({ g: gen, v: value }), ttlSeconds).catch((err: unknown) => warn(err, 'set'));
      return value;
    },
    invalidate(agentId, sessionId) {
      const key = keyOf(agentId, sessionId);
      if (redis.status !== 'ready') {
        remember(key);
        return Promise.resolve();
      }
      // Writes committed together (group commit) invalidate together: one round trip for all of them.
      if (!pending) {
        const keys = new Set<string>();
        pending = {
          keys,
          done: new Promise<void>((resolve) =>
            process.nextTick(() => {
              pending = undefined;
              resolve(flush(keys));
            }),
          ),
        };
      }
      pending.keys.add(key);
      return pending.done;
    },
    async drop(agentId, sessionId) {
      const key = keyOf(agentId, sessionId);
      if (redis.status !== 'ready') return remember(key);
      try {
        // Keep a bumped generation rather than deleting: a fill computed before the delete stays unused.
        await bump(redis, [key], ttlSeconds, true);
      } catch (err) {
        warn(err, 'drop');
        remember(key);
      }
    },
  };
}
