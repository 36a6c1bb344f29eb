// The workflow queue's calls to Redis are bounded (StepQueue's own deadline, besides ioredis's command
// timeout) and any failure of theirs is Redis's: a hung or refusing Redis reaches a caller as a 503
// naming Redis with Retry-After, never a 500. Real Redis behind base-server's TCP proxy.
import { afterAll, describe, expect, it } from '@jest/globals';
import { closeRedis, createLogger, createRedis, toAppError } from '@factory/base-server';
import { startTcpProxy } from '@factory/base-server/testing';
import { randomUUID } from 'node:crypto';
import { StepQueue } from '../src/workflows/step-queue.js';

const logger = createLogger({ service: 'step-queue-test', version: '0', level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function proxiedQueue(timeoutMs: number) {
  const proxy = await startTcpProxy(6379);
  // The command timeout is longer than the queue's deadline, so the deadline is what ends a hung call.
  const redis = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'producer', logger, commandTimeoutMs: 10_000 });
  const queue = new StepQueue(redis, `test-sq-${randomUUID().slice(0, 8)}`, logger, timeoutMs);
  cleanups.push(async () => {
    proxy.resume();
    await queue.close();
    await closeRedis(redis);
    await proxy.stop();
  });
  await new Promise((resolve) => (redis.status === 'ready' ? resolve(undefined) : redis.once('ready', resolve)));
  return { proxy, queue };
}

const job = () => ({ runId: randomUUID(), index: 0, dispatch: 1 });
const failure = async (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error('expected a failure'), (err: unknown) => err);
const expectRedisOutage = (err: unknown) =>
  expect({ status: toAppError(err).status, code: toAppError(err).code, retryAfter: toAppError(err).headers['Retry-After'] }).toEqual({ status: 503, code: 'redis_unavailable', retryAfter: '5' });

describe('StepQueue against an unhealthy Redis', () => {
  it('ends a call to a hung Redis at its deadline, as a 503 naming Redis', async () => {
    const { proxy, queue } = await proxiedQueue(300);
    await queue.enqueue([job()]);
    proxy.hang();
    const err = await failure(queue.enqueue([job()]));
    // Its deadline ended it, not ioredis's 10 s command timeout.
    expect((err as Error).message).toBe('Redis did not answer within 300 ms (enqueue)');
    expectRedisOutage(err);
    expectRedisOutage(await failure(queue.stateOf(job())));
  });

  it('names Redis when it refuses', async () => {
    const { proxy, queue } = await proxiedQueue(2_000);
    await queue.enqueue([job()]);
    await proxy.stop();
    expectRedisOutage(await failure(queue.enqueue([job()])));
  });
});
