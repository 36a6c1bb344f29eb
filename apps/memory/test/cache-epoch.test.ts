// The cache epoch (real Postgres, real Redis): every write that changes a cached read moves its session to
// an epoch never seen before, and an answer computed under an older epoch is never served.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { compositeKey, createDatabase, type Database } from '@factory/base-server';
import { uniqueSchema } from '@factory/base-server/testing';
import type { MemoryDatabase } from '../src/db/schema.js';
import { migrations, MIGRATIONS_APP } from '../src/db/migrations.js';
import { cacheEpochs } from '../src/cache/cache-epoch.js';
import { createRedisCache, type MemoryCache } from '../src/cache/memory-cache.js';
import { forget, recentTurns, saveSummary, storeTurnWrites, storeTurns, type TurnView } from '../src/turns/turn-repository.js';
import { storeOnce } from '../src/turns/idempotent-store.js';
import { PG_URL, REDIS_URL, cleanRedis, dropSchema, quietLogger, waitFor } from './helpers.js';

describe('cache epochs', () => {
  const schema = uniqueSchema('memory_epoch');
  const env = { QUEUE_PREFIX: `test_${schema}`, CACHE_PREFIX: `test_${schema}:` };
  let database: Database<MemoryDatabase>;
  let redis: Redis;
  let cache: MemoryCache;
  const epochOf = (session: string) => cacheEpochs(database)('agent-e', session);

  beforeAll(async () => {
    database = await createDatabase<MemoryDatabase>({ url: PG_URL, schema, logger: quietLogger().logger });
    await database.migrate(migrations, MIGRATIONS_APP);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    cache = createRedisCache({ redis, epochs: cacheEpochs(database), prefix: env.CACHE_PREFIX, ttlSeconds: 60, logger: quietLogger().logger });
  });
  afterAll(async () => {
    await redis?.quit();
    await database?.close();
    await dropSchema(schema);
    await cleanRedis(env);
  });

  const turn = (content: string) => ({ role: 'user' as const, content });
  const contents = (turns: TurnView[]) => turns.map((t) => t.content);

  it('moves a session to a new epoch with every store, keyed store, summary and re-creation after a forget, and never repeats one', async () => {
    const seen = new Set<string>();
    const next = async (what: string) => {
      const epoch = await epochOf('s');
      expect({ what, epoch: epoch !== undefined && !seen.has(epoch) }).toEqual({ what, epoch: true });
      seen.add(epoch!);
      return epoch!;
    };
    expect(await epochOf('s')).toBeUndefined();
    await storeTurns(database, 'agent-e', 's', [turn('one')]);
    await next('the first store');
    const [stored] = await storeTurnWrites(database, [
      { agentId: 'agent-e', sessionId: 's', turns: [turn('two')] },
      { agentId: 'agent-e', sessionId: 'other', turns: [turn('elsewhere')] },
    ]);
    await next('a grouped store');
    await storeOnce(database.db, { principal: undefined, agentId: 'agent-e', sessionId: 's', turns: [turn('three')], key: 'k1' });
    const afterKeyed = await next('a keyed store');
    // A retry of the keyed write stores nothing, and changes nothing a read returns.
    await storeOnce(database.db, { principal: undefined, agentId: 'agent-e', sessionId: 's', turns: [turn('three')], key: 'k1' });
    expect(await epochOf('s')).toBe(afterKeyed);
    const summary = { agentId: 'agent-e', sessionId: 's', summary: 'one, two', coversThroughTurnId: stored!.lastTurnId, turnsCovered: 2, inputTokens: 1, outputTokens: 1, provider: 'test', model: 'test' };
    expect((await saveSummary(database.db, summary)).inserted).toBe(true);
    const afterSummary = await next('a summary');
    // The same summary again (a re-run job) inserts nothing and keeps the epoch.
    expect((await saveSummary(database.db, summary)).inserted).toBe(false);
    expect(await epochOf('s')).toBe(afterSummary);
    await forget(database.db, 'agent-e', 's');
    expect(await epochOf('s')).toBeUndefined();
    await storeTurns(database, 'agent-e', 's', [turn('after the forget')]);
    await next('a re-creation after a forget');
  });

  it('never serves an answer computed before a write committed, even when it was stored after the write', async () => {
    await storeTurns(database, 'agent-e', 'race', [turn('before')]);
    // The write commits while the answer is being computed, and its invalidation lands before the fill.
    const first = await cache.get('agent-e', 'race', 'recent:5', async () => {
      const answer = await recentTurns(database.db, 'agent-e', 'race', 5);
      await storeTurns(database, 'agent-e', 'race', [turn('during')]);
      cache.invalidate('agent-e', 'race');
      await new Promise((resolve) => setImmediate(resolve));
      return answer;
    });
    expect(contents(first)).toEqual(['before']);
    const key = `${env.CACHE_PREFIX}cache:${compositeKey('agent-e', 'race')}`;
    await waitFor(async () => (await redis.hexists(key, 'recent:5')) === 1, 'the late fill');
    const computed: string[] = [];
    const second = await cache.get('agent-e', 'race', 'recent:5', async () => {
      computed.push('recomputed');
      return recentTurns(database.db, 'agent-e', 'race', 5);
    });
    expect(computed).toEqual(['recomputed']);
    expect(contents(second)).toEqual(['before', 'during']);
    // Now cached under the current epoch: served without touching the turns.
    await waitFor(async () => {
      const third = await cache.get('agent-e', 'race', 'recent:5', () => Promise.reject(new Error('should be a hit')));
      return JSON.stringify(contents(third)) === JSON.stringify(['before', 'during']);
    }, 'a cache hit');
  });

  it('computes a session with no row every time and caches nothing for it', async () => {
    let computed = 0;
    for (let i = 0; i < 2; i++) await cache.get('agent-e', 'never-written', 'recent:5', async () => (computed++, []));
    expect(computed).toBe(2);
    expect(await redis.exists(`${env.CACHE_PREFIX}cache:${compositeKey('agent-e', 'never-written')}`)).toBe(0);
  });
});
