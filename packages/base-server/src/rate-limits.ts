// Rate limits (requests per API key, failed sign-ins per client address) behind one interface, from
// rate-limiter-flexible: shared by every replica through Redis when the service has one, else in memory
// per replica. A shared limiter keeps a memory limiter as its insurance (`insuranceLimiter`): while Redis
// is unreachable or slow (each command is bounded by RATE_LIMIT_REDIS_TIMEOUT_MS) the limits hold per
// replica, /ready says so with a `warning`, and Redis is tried again after a short pause.
//
// Limits are fixed windows of one minute that open at a key's first request (rate-limiter-flexible's
// model): at most `perMinute` requests in any window a key opened, shared by all replicas.
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { closeRedis, createRedis } from './clients/redis.js';
import { RateLimitError } from './errors.js';
import { compositeKey } from './keys.js';
import type { Logger } from './logger.js';
import { Counter, type ServiceMetrics } from './metrics.js';
import type { ReadinessCheck } from './readiness.js';
import type { Principal } from './security.js';

/** One limit: `perMinute` a minute per key (0: unlimited). */
export interface Limiter {
  readonly perMinute: number;
  /** Takes one request for `key`: what is left, or how long to wait when the key is over its limit. */
  take(key: string): Promise<{ remaining: number } | { waitSeconds: number }>;
  /** Seconds to wait when `key` has used up its limit, else undefined; takes nothing. */
  blocked(key: string): Promise<number | undefined>;
}

export interface RateLimits {
  /** A limiter named `name` (its own keys), shared through Redis when the service has one. */
  limiter(name: string, perMinute: number): Limiter;
  /** Whether limits are shared across replicas (a Redis is configured). */
  readonly shared: boolean;
  /** The optional `rate_limits` readiness check (shared limits only). */
  readonly check: ReadinessCheck | undefined;
  /**
   * Connects to Redis (at start-up; a service built but never started opens no connection), waiting
   * at most `waitMs` for it: a Redis that is not there then leaves the limits per replica until it is.
   */
  connect(waitMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitsOptions {
  /** The service's name: every service has its own limits. */
  service: string;
  /** Redis shared by the replicas; unset: limits in memory, per replica. */
  redisUrl?: string | undefined;
  /** Longest wait for Redis on a request before the local limiter decides (RATE_LIMIT_REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /** Prefix of every Redis key (RATE_LIMIT_KEY_PREFIX). */
  keyPrefix: string;
  logger: Logger;
  metrics?: ServiceMetrics;
}

/** After Redis failed a request, how long requests go straight to the local limiter before Redis is tried again. */
const RETRY_REDIS_AFTER_MS = 5_000;
/** How long after the last fallback /ready keeps warning about it. */
const WARN_AFTER_FALLBACK_MS = 60_000;

/** The Redis of a service's shared limits: RATE_LIMIT_REDIS_URL, else the service's own REDIS_URL. */
export function rateLimitRedisUrl(config: { RATE_LIMIT_REDIS_URL?: string | undefined; REDIS_URL?: unknown }): string | undefined {
  if (config.RATE_LIMIT_REDIS_URL) return config.RATE_LIMIT_REDIS_URL;
  return typeof config.REDIS_URL === 'string' && config.REDIS_URL.trim() !== '' ? config.REDIS_URL.trim() : undefined;
}

export function createRateLimits(options: RateLimitsOptions): RateLimits {
  const { service, logger } = options;
  if (!options.redisUrl) {
    const limiter = (_name: string, perMinute: number) => {
      const memory = new RateLimiterMemory({ points: Math.max(perMinute, 1), duration: 60 });
      return limiterOver(perMinute, () => memory);
    };
    return { limiter, shared: false, check: undefined, connect: async () => {}, close: async () => {} };
  }
  const redis: Redis = createRedis({ url: options.redisUrl, role: 'client', commandTimeoutMs: options.timeoutMs, logger, name: `${service}-rate-limits`, lazyConnect: true });
  const fallbacks = options.metrics
    ? new Counter({ name: 'rate_limit_fallbacks_total', help: 'Rate-limit decisions taken by the per-replica limiter because Redis could not be used', registers: [options.metrics.registry] })
    : undefined;
  let redisFailedAt = -Infinity;
  let lastFallbackAt = -Infinity;
  const usingFallback = () => {
    const now = Date.now();
    if (now - lastFallbackAt > WARN_AFTER_FALLBACK_MS) logger.warn({ redis: `${service}-rate-limits` }, 'rate limits: Redis cannot be used; limits hold per replica until it can');
    lastFallbackAt = now;
    fallbacks?.inc();
  };

  const limiter = (name: string, perMinute: number): Limiter => {
    const local = new FallbackMemory({ points: Math.max(perMinute, 1), duration: 60 }, () => {
      usingFallback();
      // A connected Redis that failed a command (a partition, a timeout): give it a rest. (During the
      // rest this limiter decides directly, which must not extend the rest.)
      const now = Date.now();
      if (redis.status === 'ready' && now - redisFailedAt > RETRY_REDIS_AFTER_MS) redisFailedAt = now;
    });
    const shared = new RateLimiterRedis({
      storeClient: redis,
      // One key space per service and limiter; compositeKey keeps (service, name) pairs apart.
      keyPrefix: `${options.keyPrefix}${compositeKey(service, name)}`,
      points: Math.max(perMinute, 1),
      duration: 60,
      // Not connected: decide locally at once instead of waiting for a command to fail.
      rejectIfRedisNotReady: true,
      // A key over its limit is refused from memory until its window ends, without asking Redis.
      inMemoryBlockOnConsumed: Math.max(perMinute, 1),
      insuranceLimiter: local,
    });
    return limiterOver(perMinute, () => (redis.status === 'ready' && Date.now() - redisFailedAt > RETRY_REDIS_AFTER_MS ? shared : local));
  };

  const check: ReadinessCheck = {
    name: 'rate_limits',
    required: false,
    async run() {
      const perReplica = 'rate limits hold per replica (local fallback) until it is back';
      if (redis.status !== 'ready') return { status: 'warning', message: `Redis of the rate limits is ${redis.status}; ${perReplica}. Check RATE_LIMIT_REDIS_URL (or REDIS_URL).` };
      try {
        await redis.ping();
      } catch (err) {
        return { status: 'warning', message: `Redis of the rate limits does not answer (${err instanceof Error ? err.message : String(err)}); ${perReplica}.` };
      }
      const since = Date.now() - lastFallbackAt;
      if (since < WARN_AFTER_FALLBACK_MS) return { status: 'warning', message: `rate limits fell back to per-replica limits ${Math.round(since / 1000)} s ago (Redis failed a request); shared again now.` };
      return { details: { shared: true } };
    },
  };

  return {
    limiter,
    shared: true,
    check,
    async connect(waitMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      // The error listener logs a failure; ioredis keeps retrying in the background.
      const connected = redis.connect().catch(() => undefined);
      await Promise.race([connected, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    },
    close: () => closeRedis(redis),
  };
}

/** The local limiter of a shared one, calling `onUse` whenever it decides instead of Redis. */
class FallbackMemory extends RateLimiterMemory {
  constructor(
    opts: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: () => void,
  ) {
    super(opts);
  }
  override consume(...args: Parameters<RateLimiterMemory['consume']>) {
    this.onUse();
    return super.consume(...args);
  }
  override get(...args: Parameters<RateLimiterMemory['get']>) {
    this.onUse();
    return super.get(...args);
  }
}

function limiterOver(perMinute: number, current: () => RateLimiterAbstract): Limiter {
  if (perMinute <= 0) return { perMinute, take: async () => ({ remaining: Infinity }), blocked: async () => undefined };
  return {
    perMinute,
    async take(key) {
      try {
        return { remaining: (await current().consume(key)).remainingPoints };
      } catch (err) {
        if (err instanceof RateLimiterRes) return { waitSeconds: err.msBeforeNext / 1000 };
        throw err;
      }
    },
    async blocked(key) {
      const res = await current().get(key);
      return res && res.consumedPoints >= perMinute ? res.msBeforeNext / 1000 : undefined;
    },
  };
}

/**
 * The per-key limit of the request chain: takes one request for the principal's key and sets the
 * RateLimit headers, or gives the RateLimitError to answer with.
 */
export function createKeyRateLimit(limiter: Limiter): (principal: Principal | undefined, res: ServerResponse) => Promise<RateLimitError | undefined> {
  const { perMinute } = limiter;
  const limit = String(perMinute);
  return async (principal, res) => {
    if (perMinute <= 0) return undefined;
    // Keyed by how the caller signed in too: an OAuth subject never shares a limit with a key of the same name.
    const taken = await limiter.take(compositeKey(principal?.via ?? '', principal?.keyName ?? 'anonymous'));
    if ('waitSeconds' in taken) return new RateLimitError(`Rate limit of ${perMinute} requests per minute exceeded for this API key; retry later.`, taken.waitSeconds);
    res.setHeader('RateLimit-Limit', limit);
    res.setHeader('RateLimit-Remaining', String(Math.floor(taken.remaining)));
    return undefined;
  };
}
