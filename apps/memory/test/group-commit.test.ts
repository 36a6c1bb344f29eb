// Group commit: concurrent writes share one statement, each caller gets its own result, and one bad
// write never fails (or loses) the others. Against the real Postgres.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, type Database } from '@factory/base-server';
import { createGroupCommit } from '../src/turns/group-commit.js';
import { isStatementError, storeTurnWrites, recentTurns, type TurnWrite } from '../src/turns/turn-repository.js';
import { migrations, MIGRATIONS_APP } from '../src/db/migrations.js';
import type { MemoryDatabase } from '../src/db/schema.js';
import { PG_URL, countRows, dropSchema, quietLogger } from './helpers.js';
import { uniqueSchema } from '@factory/base-server/testing';
import { turnTokens } from '../src/turns/tokens.js';

describe('createGroupCommit', () => {
  const options = { maxInFlight: 1, maxWeight: 100, weight: () => 1, isolatable: () => true };

  /** A group commit whose first statement stays in flight until `release()`; records every batch. */
  function gated(overrides: Partial<typeof options> & { overlapAfterMs?: number } = {}, answer = (i: number) => i) {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const submit = createGroupCommit(async (items: number[]) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map(answer);
    }, { ...options, ...overrides });
    return { batches, submit, release: () => release() };
  }
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('sends writes that queue behind one in flight as one batch, and answers each caller with its own result', async () => {
    const { batches, submit, release } = gated({}, (i) => i * 10);
    const first = submit(1);
    await nextTurn(); // the first batch is now in flight
    const rest = [2, 3, 4, 5].map((i) => submit(i));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('queues writes behind a running statement rather than overlapping it while it is quick', async () => {
    const { batches, submit, release } = gated({ maxInFlight: 2, overlapAfterMs: 60_000 });
    const first = submit(1);
    await nextTurn();
    const rest = [2, 3].map((i) => submit(i));
    await nextTurn();
    expect(batches).toEqual([[1]]); // a second slot is free, but the statement in flight is not slow yet
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('starts a second statement beside one that is slow, so a stalled statement does not hold up the queue', async () => {
    const { batches, submit, release } = gated({ maxInFlight: 2, overlapAfterMs: 20 });
    const first = submit(1);
    await nextTurn();
    // The first statement never finishes on its own: these can only be stored by overlapping it.
    expect(await Promise.all([submit(2), submit(3)])).toEqual([2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
    release();
    expect(await first).toBe(1);
  });

  it('never makes a batch heavier than maxWeight (a single heavier write still goes alone)', async () => {
    const batches: number[][] = [];
    const submit = createGroupCommit(async (items: number[]) => (batches.push(items), items), { ...options, maxInFlight: 4, maxWeight: 5, weight: (i: number) => i });
    await Promise.all([2, 2, 2, 9, 1].map((i) => submit(i)));
    expect(batches).toEqual([[2, 2], [2], [9], [1]]);
  });

  it('retries the writes of a failed batch one by one when nothing was stored, so only the bad one fails', async () => {
    const calls: number[][] = [];
    const submit = createGroupCommit(async (items: number[]) => {
      calls.push(items);
      if (items.includes(13)) throw new Error('unlucky');
      return items;
    }, options);
    const results = await Promise.allSettled([12, 13, 14].map((i) => submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('fails the whole batch without retrying when the statement may have committed (a lost connection)', async () => {
    let calls = 0;
    const submit = createGroupCommit(async () => {
      calls++;
      throw new Error('connection terminated');
    }, { ...options, isolatable: () => false });
    const results = await Promise.allSettled([1, 2, 3].map((i) => submit(i)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('storeTurnWrites (Postgres)', () => {
  const schema = uniqueSchema('memory_group');
  let database: Database<MemoryDatabase>;

  beforeAll(async () => {
    database = await createDatabase<MemoryDatabase>({ url: PG_URL, schema, logger: quietLogger().logger });
    await database.migrate(migrations, MIGRATIONS_APP);
  });
  afterAll(async () => {
    await database?.close();
    await dropSchema(schema);
  });

  it('stores writes of several sessions in one statement: ids in order per write, counters per session', async () => {
    const turn = (content: string) => ({ role: 'user' as const, content });
    const writes: TurnWrite[] = [
      { agentId: 'a', sessionId: 'x', turns: [turn('x1'), turn('x2')] },
      { agentId: 'a', sessionId: 'y', turns: [turn('y1')] },
      { agentId: 'a', sessionId: 'x', turns: [turn('x3 is longer than the others')] },
      { agentId: 'b', sessionId: 'x', turns: [turn('bx1')] },
    ];
    const stored = await storeTurnWrites(database, writes);
    expect(stored.map((s) => s.ids.length)).toEqual([2, 1, 1, 1]);
    // Every id holds exactly the content its write sent.
    const x = await recentTurns(database.db, 'a', 'x', 10);
    expect(x.map((t) => [t.memory_id, t.content])).toEqual([
      [stored[0]!.ids[0], 'x1'],
      [stored[0]!.ids[1], 'x2'],
      [stored[2]!.ids[0], 'x3 is longer than the others'],
    ]);
    expect((await recentTurns(database.db, 'b', 'x', 10)).map((t) => t.memory_id)).toEqual(stored[3]!.ids);
    // Unsummarised tokens as they stood right after each write of the same session.
    const t = (s: string) => turnTokens(s);
    expect(stored[0]!.unsummarisedTokens).toBe(t('x1') + t('x2'));
    expect(stored[2]!.unsummarisedTokens).toBe(t('x1') + t('x2') + t('x3 is longer than the others'));
    expect(stored[2]!.lastTurnId).toBe(stored[2]!.ids[0]);
    expect(await countRows(schema, "select turn_count as n from sessions where agent_id = 'a' and session_id = 'x'")).toBe(3);
  });

  it('under concurrent writes with one the database rejects, stores every other write exactly once', async () => {
    const submit = createGroupCommit((ws: TurnWrite[]) => storeTurnWrites(database, ws), {
      maxInFlight: 1,
      maxWeight: 1_000,
      weight: (w) => w.turns.length,
      isolatable: isStatementError,
    });
    const before = await countRows(schema, "select count(*) as n from turns where agent_id = 'c'");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        // role 'robot' violates the table's check constraint: Postgres rejects the statement it is in.
        submit({ agentId: 'c', sessionId: `s${i % 3}`, turns: [{ role: (i === 7 ? 'robot' : 'user') as 'user', content: `turn ${i}` }] }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[7]!.status).toBe('rejected');
    expect(await countRows(schema, "select count(*) as n from turns where agent_id = 'c'")).toBe(before + 19);
    expect(await countRows(schema, "select count(distinct content) as n from turns where agent_id = 'c'")).toBe(before + 19);
    expect(await countRows(schema, "select sum(turn_count) as n from sessions where agent_id = 'c'")).toBe(before + 19);
  });
});
