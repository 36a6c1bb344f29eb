import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { boundedAgent, DeadlineExceeded, withDeadline } from '../src/index.js';

// A peer that accepts every request and never answers (a hung process).
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const gc = (globalThis as { gc?: () => void }).gc;
/** Settles with 'still running' when `p` has not settled within `ms` (a guard against hanging the suite). */
const orStillRunning = <T>(p: Promise<T>, ms: number) => {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p.finally(() => clearTimeout(t)), new Promise<'still running'>((r) => (t = setTimeout(() => r('still running'), ms)))]);
};
const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withDeadline', () => {
  it('runs with --expose-gc (the stall below only shows under forced collections)', () => {
    expect(typeof gc).toBe('function');
  });

  it('aborts fetches to a hanging server on time while garbage collections are forced', async () => {
    const collect = setInterval(() => gc?.(), 10);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          orStillRunning(
            withDeadline(200, (signal) => fetch(url, { signal })).then(
              () => 'answered',
              (err: unknown) => (err instanceof DeadlineExceeded ? 'timed out' : String(err)),
            ),
            3_000,
          ),
        ),
      );
      expect(new Set(outcomes)).toEqual(new Set(['timed out']));
    } finally {
      clearInterval(collect);
    }
  });

  it('ends a call that ignores its signal, with DeadlineExceeded, and aborts the signal it gave', async () => {
    let given: AbortSignal | undefined;
    const never = withDeadline(50, (signal) => {
      given = signal;
      return new Promise<never>(() => undefined);
    }, { message: 'peer did not answer within 50 ms' });
    await expect(never).rejects.toThrow(new DeadlineExceeded('peer did not answer within 50 ms', 50));
    await expect(never).rejects.toMatchObject({ name: 'TimeoutError', timeoutMs: 50 });
    expect(given?.aborted).toBe(true);
  });

  it("ends the call when the caller's signal aborts, with the caller's reason", async () => {
    const caller = new AbortController();
    const call = withDeadline(60_000, () => new Promise<never>(() => undefined), { signal: caller.signal });
    caller.abort(new Error('shutting down'));
    await expect(call).rejects.toThrow('shutting down');
    await expect(withDeadline(60_000, () => 1, { signal: caller.signal })).rejects.toThrow('shutting down');
  });

  it('keeps its timer referenced while the call runs and clears it when the call ends', async () => {
    const before = activeTimers();
    let release: (v: string) => void = () => undefined;
    const call = withDeadline(60_000, () => new Promise<string>((r) => (release = r)));
    await Promise.resolve();
    expect(activeTimers()).toBe(before + 1);
    release('done');
    await expect(call).resolves.toBe('done');
    expect(activeTimers()).toBe(before);
  });

  it('passes results and errors of the call through unchanged', async () => {
    await expect(withDeadline(1_000, async () => 42)).resolves.toBe(42);
    await expect(withDeadline(1_000, () => Promise.reject(new RangeError('bad')))).rejects.toBeInstanceOf(RangeError);
  });
});

describe('boundedAgent', () => {
  it("ends a request to a hanging server by undici's own headers timeout, even without a signal", async () => {
    const agent = boundedAgent({ timeoutMs: 150 });
    try {
      const outcome = await orStillRunning(
        undiciFetch(url, { dispatcher: agent }).then(
          () => 'answered',
          (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
        ),
        3_000,
      );
      expect(outcome).toBe('UND_ERR_HEADERS_TIMEOUT');
    } finally {
      await agent.destroy();
    }
  });
});
