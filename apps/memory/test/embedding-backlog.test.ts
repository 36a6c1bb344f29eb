// The embeddings backlog on PGlite with pgvector: a batch is the oldest turns after the cursor without a
// vector; the cursor may only move up to a turn older than the settle time (so a turn committed late
// with a lower id is never skipped), and only for the process holding the lease.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { vector } from '@electric-sql/pglite/vector';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { createDatabase, type Database } from '@factory/base-server';
import { migrations, MIGRATIONS_APP } from '../src/db/migrations.js';
import type { MemoryDatabase } from '../src/db/schema.js';
import { storeTurns } from '../src/turns/turn-repository.js';
import { advanceCursor, nextBatch, releaseLease, takeLease } from '../src/embeddings/embedding-backlog.js';
import { prepareVectorStore, saveEmbeddings } from '../src/embeddings/vector-store.js';
import { quietLogger } from './helpers.js';

const MODEL = 'm@3';

describe('embedding backlog', () => {
  let database: Database<MemoryDatabase>;
  let ids: string[] = [];
  beforeAll(async () => {
    database = await createDatabase<MemoryDatabase>({ logger: quietLogger().logger, pgliteExtensions: { vector, btree_gin } });
    await database.migrate(migrations, MIGRATIONS_APP);
    expect(await prepareVectorStore(database.db)).toMatchObject({ available: true });
    ids = (await storeTurns(database, 'a', 's', ['one', 'two', 'three', 'four', 'five'].map((content) => ({ role: 'user' as const, content })))).ids;
  }, 60_000);
  afterAll(async () => database?.close());

  it('moves the cursor only up to turns older than the settle time, and never past a turn without a vector', async () => {
    const db = database.db;
    const young = await nextBatch(db, MODEL, '0', 2, 60_000);
    expect(young.turns.map((t) => t.id)).toEqual(ids.slice(0, 2));
    expect(young.safeCursor).toBeUndefined(); // every turn is younger than a minute
    // The first three turns are old now: a full batch of two lets the cursor reach its end, not beyond.
    await sql`update turns set created_at = now() - interval '1 hour' where id <= ${ids[2]!}`.execute(db);
    expect((await nextBatch(db, MODEL, '0', 2, 60_000)).safeCursor).toBe(ids[1]);
    // The whole backlog in one batch: the cursor may reach the newest old turn.
    const all = await nextBatch(db, MODEL, '0', 10, 60_000);
    expect(all.turns).toHaveLength(5);
    expect(all.safeCursor).toBe(ids[2]);
    // Embedded turns leave the backlog; young ones stay after the cursor but are not offered again.
    await saveEmbeddings(db, MODEL, all.turns.slice(0, 4).map((t) => ({ turnId: t.id, agentId: 'a', sessionId: 's', embedding: [1, 0, 0] })));
    expect((await nextBatch(db, MODEL, ids[2]!, 10, 60_000)).turns.map((t) => t.id)).toEqual([ids[4]]);
    expect((await nextBatch(db, 'other@3', ids[2]!, 10, 60_000)).turns).toHaveLength(2); // another model has its own vectors
  });

  it('lets one process hold the lease and move the cursor, forward only', async () => {
    const db = database.db;
    expect(await takeLease(db, MODEL, 'p1', 60_000)).toBe('0');
    expect(await takeLease(db, MODEL, 'p2', 60_000)).toBeUndefined();
    await advanceCursor(db, MODEL, 'p2', ids[4]!); // not the holder: nothing moves
    await advanceCursor(db, MODEL, 'p1', ids[2]!);
    await advanceCursor(db, MODEL, 'p1', ids[1]!); // never back
    expect(await takeLease(db, MODEL, 'p1', 60_000)).toBe(ids[2]);
    await releaseLease(db, MODEL, 'p1');
    expect(await takeLease(db, MODEL, 'p2', 60_000)).toBe(ids[2]);
  });

  it('skips a turn forgotten before its vector was stored, and forgetting a turn removes its vectors', async () => {
    const db = database.db;
    const [gone, kept] = (await storeTurns(database, 'b', 's', [{ role: 'user', content: 'x' }, { role: 'user', content: 'y' }])).ids;
    await sql`delete from turns where id = ${gone!}`.execute(db);
    expect(await saveEmbeddings(db, MODEL, [gone!, kept!].map((turnId) => ({ turnId, agentId: 'b', sessionId: 's', embedding: [0, 1, 0] })))).toBe(1);
    await sql`delete from turns where id = ${kept!}`.execute(db);
    expect((await sql<{ n: number }>`select count(*)::int as n from turn_embeddings where agent_id = 'b'`.execute(db)).rows[0]!.n).toBe(0);
  });
});
