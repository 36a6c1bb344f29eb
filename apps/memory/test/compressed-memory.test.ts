// get_compressed_memory reads only what it returns: the newest turns that fit the budget are read in
// pages that double, so the rows read stay within about twice the rows returned, however long the
// session. Against the real Postgres, counting the rows each query hands back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KyselyPlugin } from 'kysely';
import { createDatabase, type Database } from '@factory/base-server';
import { uniqueSchema } from '@factory/base-server/testing';
import { migrations, MIGRATIONS_APP } from '../src/db/migrations.js';
import type { MemoryDatabase } from '../src/db/schema.js';
import { newestTurnsWithin, storeTurns } from '../src/turns/turn-repository.js';
import { PG_URL, dropSchema, quietLogger } from './helpers.js';

describe('newestTurnsWithin', () => {
  const schema = uniqueSchema('memory_tail');
  let database: Database<MemoryDatabase>;
  let rowsRead = 0;
  const counting: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      rowsRead += args.result.rows.length;
      return args.result;
    },
  };

  beforeAll(async () => {
    database = await createDatabase<MemoryDatabase>({ url: PG_URL, schema, logger: quietLogger().logger });
    await database.migrate(migrations, MIGRATIONS_APP);
    for (let i = 0; i < 5; i++) {
      await storeTurns(database, 'a', 's', Array.from({ length: 1_000 }, (_, k) => ({ role: 'user' as const, content: `Turn ${i * 1_000 + k} of the long session.` })));
    }
  });
  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
  });

  it('reads about twice the turns it returns, not the unsummarised history', async () => {
    const db = database.db.withPlugin(counting);
    for (const budget of [5, 100, 1_000, 4_000]) {
      rowsRead = 0;
      const turns = await newestTurnsWithin(db, 'a', 's', '0', budget, 500);
      const used = turns.reduce((n, t) => n + t.token_count, 0);
      expect(used).toBeLessThanOrEqual(budget);
      expect(turns[0]?.content ?? 'none').toBe(budget >= 12 ? 'Turn 4999 of the long session.' : 'none');
      expect(rowsRead).toBeLessThanOrEqual(2 * turns.length + 16);
    }
  });

  it('stops at the first turn that does not fit, so the turns it keeps are contiguous', async () => {
    await storeTurns(database, 'a', 'gap', [
      { role: 'user', content: 'old and short' },
      { role: 'user', content: 'x'.repeat(400) },
      { role: 'user', content: 'new and short' },
    ]);
    const turns = await newestTurnsWithin(database.db, 'a', 'gap', '0', 50, 500);
    expect(turns.map((t) => t.content)).toEqual(['new and short']);
  });
});
