// ioredis clients with house defaults. A producer fails fast while Redis is down (no offline queue);
// a BullMQ worker connection waits (maxRetriesPerRequest: null). Every client has an error listener.
// Every command of a producer or client is bounded in time (commandTimeout): a partitioned Redis, whose
// connection stays open but never answers, fails a command after that long instead of hanging it. A
// worker connection runs BullMQ's blocking commands, which a command timeout would break; it gets a
// client-side guard on blocking commands instead (blockingTimeout), and BullMQ's own lock renewal.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import type { ReadinessCheck } from '../readiness.js';

export type RedisRole = 'producer' | 'worker' | 'client';

export interface RedisClientOptions {
  url: string;
  role: RedisRole;
  logger: Logger;
  /** Shown in CLIENT LIST and logs. */
  name?: string;
  /** Prefix for every key (cache entries, test isolation). */
  keyPrefix?: string;
  /** Longest wait for one command's answer (producer and client roles); default 2000 ms. */
  commandTimeoutMs?: number;
  /** Connect on `connect()` instead of at once (a client of a service that may never start). */
  lazyConnect?: boolean;
}

/** The default command timeout of producer and client connections (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;

export function createRedis(options: RedisClientOptions): Redis {
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const roleDefaults: Record<RedisRole, RedisOptions> = {
    producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout },
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false, blockingTimeout: 10_000 },
    client: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout },
  };
  const redis = new Redis(options.url, {
    connectionName: options.name,
    connectTimeout: 5_000,
    // Reconnect forever, backing off to 2 s: Redis coming back must heal every client by itself.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
    ...roleDefaults[options.role],
  });
  let lastLogged = 0;
  redis.on('error', (err: Error) => {
    // While Redis is down this fires on every reconnect attempt; log at most every 10 s.
    const now = Date.now();
    if (now - lastLogged > 10_000) {
      lastLogged = now;
      options.logger.warn({ err: { message: err.message }, redis: options.name ?? options.role }, 'redis connection error');
    }
  });
  return redis;
}

/** A readiness check on a Redis client: answers from its connection state first, then PING. */
export function redisCheck(redis: Redis, name = 'queue', required = true): ReadinessCheck {
  return {
    name,
    required,
    async run() {
      if (redis.status !== 'ready') {
        return { status: 'error', message: `redis is ${redis.status}; is Redis running at the configured REDIS_URL?` };
      }
      await redis.ping();
    },
  };
}

/** Closes a client politely (QUIT), or at once when it is not connected. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through to disconnect
    }
  }
  redis.disconnect();
}
