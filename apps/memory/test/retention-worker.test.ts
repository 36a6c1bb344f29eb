// The scheduled retention sweep (real Postgres, real Redis): two worker replicas share one BullMQ job
// scheduler, so the sweep runs once per interval whichever replica takes it, and it deletes expired turns
// without anyone calling it; without Redis the API process sweeps on a timer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { parseWorkerConfig } from '../src/config.js';
import { createMemoryService } from '../src/app.js';
import { createCompressionWorker, type CompressionWorker } from '../src/compression/compression-worker.js';
import { QUEUE_NAME } from '../src/compression/compression-queue.js';
import { RETENTION_SCHEDULER_ID } from '../src/retention/retention-sweep.js';
import { storeTurns } from '../src/turns/turn-repository.js';
import { REDIS_URL, cleanRedis, countRows, dropSchema, isolatedEnv, quietLogger, testConfig, waitFor } from './helpers.js';

const env = isolatedEnv('memory_retention_worker', {
  REDIS_URL,
  WORKER_PORT: '0',
  MEMORY_RETENTION_DAYS: '1',
  MEMORY_RETENTION_INTERVAL_MS: '1000',
  COMPRESSION_THRESHOLD_TOKENS: '0',
});
const schema = env.DATABASE_SCHEMA as string;

describe('retention sweep on the worker', () => {
  const workers: CompressionWorker[] = [];
  const { logs, logger } = quietLogger();
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const w = await createCompressionWorker(parseWorkerConfig(env), { logger });
      await w.service.start();
      workers.push(w);
    }
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    queue = new Queue(QUEUE_NAME, { connection: redis, prefix: env.QUEUE_PREFIX });
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) await w.service.stop();
    await queue?.close();
    await redis?.quit();
    await dropSchema(schema);
    await cleanRedis(env);
  }, 60_000);

  it('keeps one job scheduler for all replicas and deletes expired turns on its own', async () => {
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => ({ key: s.key, every: Number(s.every) }))).toEqual([{ key: RETENTION_SCHEDULER_ID, every: 1000 }]);

    const db = workers[0]!.database;
    const old = await storeTurns(db, 'agent-w', 's', [{ role: 'user', content: 'two days old' }]);
    await sql`update turns set created_at = now() - interval '2 days' where id = any(${old.ids}::bigint[])`.execute(db.db);
    await storeTurns(db, 'agent-w', 's', [{ role: 'user', content: 'today' }]);

    await waitFor(async () => (await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-w'`)) === 1, 'the scheduled sweep', 20_000);
    expect(await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-w' and content = 'today'`)).toBe(1);
    const sweeps = logs.lines().filter((l) => l.msg === 'retention sweep finished');
    expect(sweeps.some((l) => l.turns_deleted === 1)).toBe(true);
    // Every sweep, on either replica, was one job of the scheduler: none ran a second time for its interval.
    const jobs = (await queue.getJobs(['completed', 'active'])).filter((j) => j.name === 'retention');
    expect(sweeps.length).toBeGreaterThan(0);
    expect(sweeps.length).toBeLessThanOrEqual(jobs.length);
  }, 30_000);

  it('puts the scheduler back when Redis lost it, with the workers up, and goes on deleting expired turns', async () => {
    // What a Redis restarted without persistence holds of the scheduler: nothing.
    expect(await queue.removeJobScheduler(RETENTION_SCHEDULER_ID)).toBe(true);
    await waitFor(async () => (await queue.getJobScheduler(RETENTION_SCHEDULER_ID)) !== undefined, 'the scheduler to be put back', 20_000);
    expect(logs.lines().some((l) => l.msg === 'retention job scheduler missing from Redis put back')).toBe(true);
    const db = workers[0]!.database;
    const old = await storeTurns(db, 'agent-x', 's', [{ role: 'user', content: 'two days old' }]);
    await sql`update turns set created_at = now() - interval '2 days' where id = any(${old.ids}::bigint[])`.execute(db.db);
    await waitFor(async () => (await countRows(schema, `select count(*) as n from turns where agent_id = 'agent-x'`)) === 0, 'a sweep after the scheduler came back', 20_000);
  }, 30_000);
});

describe('retention sweep without Redis (the API sweeps on a timer)', () => {
  const local = isolatedEnv('memory_retention_local', { MEMORY_RETENTION_DAYS: '1', MEMORY_RETENTION_INTERVAL_MS: '1000', COMPRESSION_THRESHOLD_TOKENS: '0' });
  const localSchema = local.DATABASE_SCHEMA as string;
  afterAll(async () => {
    await dropSchema(localSchema);
  });

  it('deletes expired turns on its own and stops with the service', async () => {
    const memory = await createMemoryService(testConfig(local), { logger: quietLogger().logger });
    await memory.service.start();
    try {
      const old = await storeTurns(memory.database, 'agent-l', 's', [{ role: 'user', content: 'two days old' }]);
      await sql`update turns set created_at = now() - interval '2 days' where id = any(${old.ids}::bigint[])`.execute(memory.database.db);
      await storeTurns(memory.database, 'agent-l', 's', [{ role: 'user', content: 'today' }]);
      await waitFor(async () => (await countRows(localSchema, `select count(*) as n from turns where agent_id = 'agent-l'`)) === 1, 'the timed sweep', 20_000);
    } finally {
      await memory.service.stop();
    }
  }, 30_000);
});
