// search_memory ranks a bounded, recency-ordered candidate set: on a seeded corpus it finds the expected
// top hits for fixed queries, answers exactly as ranking every match does while the matches fit in the
// candidate set (whether the walk over the newest turns finds them all or the GIN step finds the older
// ones, or the id windows walk back to them), and past that ranks the newest matches; the statements inside
// the search function are planned as bitmaps whatever the statistics say. Against the real Postgres.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDatabase, type Database } from '@factory/base-server';
import { uniqueSchema } from '@factory/base-server/testing';
import { migrations, MIGRATIONS_APP } from '../src/db/migrations.js';
import type { MemoryDatabase } from '../src/db/schema.js';
import { storeTurns } from '../src/turns/turn-repository.js';
import pg from 'pg';
import { searchTurns as search, textMatchesStatement, type TextSearchOptions } from '../src/search/full-text-search.js';
import { PG_URL, dropSchema, quietLogger } from './helpers.js';

const CORPUS: Array<[session: string, content: string]> = [
  ['ops', 'The kestrel database failed over to the replica at 03:10.'],
  ['ops', 'Nothing to report on the billing service today.'],
  ['ops', 'Kestrel database backups run nightly; the kestrel database restore was tested in March.'],
  ['ops', 'The deploy window is Friday in eu-west-1.'],
  ['ops', 'We could open a deploy review on Friday, the window stays shut.'],
  ['support', 'Ada asked whether the billing export includes refunds.'],
  ['support', 'Refunds are in the billing export since version 2.4.'],
  ['support', 'The customer in Lisbon wants the invoice in Portuguese.'],
  ['support', 'Kestrel is the codename of the new database cluster.'],
  ['ops', 'Rotate the staging secrets before the deploy.'],
];

/** The query search used before the candidate set: ranks every match of the agent. */
async function rankEveryMatch(db: Database<MemoryDatabase>['db'], agentId: string, query: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select t.id from turns t, websearch_to_tsquery('english', ${query}) q
    where t.agent_id = ${agentId} and t.search @@ q
    order by ts_rank_cd(t.search, q) desc, t.id desc limit ${limit}`.execute(db);
  return rows.map((r) => String(r.id));
}

/** The corpus is small: walks of 3 and 100 turns exercise the GIN step (older matches) as well as the walk alone. */
const WALKS = [3, 100, 10_000];
const searchTurns = (db: Database<MemoryDatabase>['db'], agentId: string, query: string, sessionId: string | undefined, limit: number, candidates = 200, scanRows = 10_000) =>
  search(db, agentId, query, sessionId, limit, { candidates, scanRows } satisfies TextSearchOptions);

describe('searchTurns', () => {
  const schema = uniqueSchema('memory_search');
  let database: Database<MemoryDatabase>;
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    database = await createDatabase<MemoryDatabase>({ url: PG_URL, schema, logger: quietLogger().logger });
    await database.migrate(migrations, MIGRATIONS_APP);
    for (const [session, content] of CORPUS) {
      const stored = await storeTurns(database, 'corpus', session, [{ role: 'user', content }]);
      idOf.set(content, stored.ids[0]!);
    }
  });
  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
  });

  const contents = async (query: string, sessionId?: string, limit = 3) =>
    (await searchTurns(database.db, 'corpus', query, sessionId, limit)).map((h) => h.content);

  it('puts the best matches first for fixed queries', async () => {
    expect(await contents('kestrel database')).toEqual([
      'Kestrel database backups run nightly; the kestrel database restore was tested in March.',
      'The kestrel database failed over to the replica at 03:10.',
      'Kestrel is the codename of the new database cluster.',
    ]);
    expect(await contents('"deploy window"')).toEqual(['The deploy window is Friday in eu-west-1.']);
    expect(await contents('billing refunds', undefined, 2)).toEqual([
      'Ada asked whether the billing export includes refunds.',
      'Refunds are in the billing export since version 2.4.',
    ]);
    expect(await contents('kestrel', 'support')).toEqual(['Kestrel is the codename of the new database cluster.']);
    expect(await contents('quokka')).toEqual([]);
  });

  it('answers exactly as ranking every match does while the matches fit in the candidate set', async () => {
    for (const scanRows of WALKS) {
      for (const query of ['kestrel database', 'deploy', 'billing -refunds', 'the', 'friday OR lisbon', '"deploy window"', 'quokka']) {
        const hits = (await searchTurns(database.db, 'corpus', query, undefined, 10, 200, scanRows)).map((h) => h.memory_id);
        expect({ scanRows, query, hits }).toEqual({ scanRows, query, hits: await rankEveryMatch(database.db, 'corpus', query, 10) });
      }
      expect(await contents('kestrel database')).toEqual((await searchTurns(database.db, 'corpus', 'kestrel database', undefined, 3, 200, scanRows)).map((h) => h.content));
    }
  });

  it('ranks only the newest matches once there are more than the candidate set holds, best of them first', async () => {
    // An old turn that says "heron" three times, then 150 turns that say it once, then one that says it twice.
    const old = await storeTurns(database, 'many', 's', [{ role: 'user', content: 'heron heron heron' }]);
    const once = await storeTurns(database, 'many', 's', Array.from({ length: 150 }, (_, i) => ({ role: 'user' as const, content: `A heron was seen at pond ${i}.` })));
    const twice = await storeTurns(database, 'many', 's', [{ role: 'user', content: 'The heron and another heron.' }]);
    const hits = await searchTurns(database.db, 'many', 'heron', undefined, 5, 100);
    expect(hits[0]?.memory_id).toBe(twice.ids[0]);
    const newest100 = new Set([...once.ids.slice(-99), twice.ids[0]]);
    for (const h of hits) expect(newest100.has(h.memory_id)).toBe(true);
    expect(hits.map((h) => h.memory_id)).not.toContain(old.ids[0]);
    // With a candidate set that reaches it, the old turn is the best match again.
    expect((await searchTurns(database.db, 'many', 'heron', undefined, 1, 1_000))[0]?.memory_id).toBe(old.ids[0]);
  });

  it('finds rare matches far back in a long history, and still ranks the best first', async () => {
    // 6,000 turns; the rare words are said in turn 3 (and 5,990).
    const said = (i: number) => (i === 3 ? 'The plover and the egret, an egret again.' : i === 5_990 ? 'An egret flew by.' : `Routine check ${i} passed.`);
    const ids: string[] = [];
    for (let b = 0; b < 6; b++) {
      const stored = await storeTurns(database, 'long', 's', Array.from({ length: 1_000 }, (_, k) => ({ role: 'user' as const, content: said(b * 1_000 + k) })));
      ids.push(...stored.ids);
    }
    for (const scanRows of WALKS) {
      expect((await searchTurns(database.db, 'long', 'plover', undefined, 5, 100, scanRows)).map((h) => h.memory_id)).toEqual([ids[3]]);
      expect((await searchTurns(database.db, 'long', 'egret', undefined, 5, 100, scanRows)).map((h) => h.memory_id)).toEqual([ids[3], ids[5_990]]);
      expect(await searchTurns(database.db, 'long', 'quokka', undefined, 5, 100, scanRows)).toEqual([]);
      const routine = await searchTurns(database.db, 'long', 'routine', undefined, 3, 100, scanRows);
      expect(routine.map((h) => h.memory_id)).toEqual([ids[5_999], ids[5_998], ids[5_997]]);
      // Scoped to a session: the same answers (every turn of 'long' is in session 's').
      expect((await searchTurns(database.db, 'long', 'egret', 's', 5, 100, scanRows)).map((h) => h.memory_id)).toEqual([ids[3], ids[5_990]]);
      expect(await searchTurns(database.db, 'long', 'egret', 'other', 5, 100, scanRows)).toEqual([]);
    }
  });

  it('answers the same whether the walk goes on or the GIN index finds the older matches', async () => {
    // "wren" in every 50th of 3,000 turns (the GIN index answers); "lark" in every 4th of 6,000 (the walk goes on).
    const wrens: string[] = [];
    for (let b = 0; b < 3; b++) {
      const stored = await storeTurns(database, 'medium', 's', Array.from({ length: 1_000 }, (_, k) => ({ role: 'user' as const, content: (b * 1_000 + k) % 50 === 0 ? `A wren, sighting ${b * 1_000 + k}.` : `Nothing seen ${b * 1_000 + k}.` })));
      wrens.push(...stored.ids.filter((_, k) => (b * 1_000 + k) % 50 === 0));
    }
    for (let b = 0; b < 6; b++) {
      await storeTurns(database, 'dense', 's', Array.from({ length: 1_000 }, (_, k) => ({ role: 'user' as const, content: k % 4 === 0 ? `A lark sang ${b * 1_000 + k}.` : `Quiet ${b * 1_000 + k}.` })));
    }
    for (const [agent, word] of [['medium', 'wren'], ['dense', 'lark']] as const) {
      const every = await rankEveryMatch(database.db, agent, word, 10);
      expect(every).toHaveLength(10);
      for (const scanRows of [10_000, 1_500, 1_000, 200]) {
        expect({ agent, scanRows, hits: (await searchTurns(database.db, agent, word, undefined, 10, 200, scanRows)).map((h) => h.memory_id) }).toEqual({ agent, scanRows, hits: every });
      }
    }
    // With fewer candidates than matches, the newest 30 are ranked (all rank alike: newest first).
    expect((await searchTurns(database.db, 'medium', 'wren', undefined, 30, 30, 1_500)).map((h) => h.memory_id)).toEqual(wrens.slice(-30).reverse());
  });

  /**
   * 6,000 turns of `agent`: "ibis" in every 3rd of the oldest 1,500 (500 matches), then 4,500 turns without it.
   * The walk sees none, the probe finds more than are wanted, so windows of ids walk back (several, with a
   * short walk). Every match ranks alike: the answer is the newest matches, newest first.
   */
  async function seedAncient(on: Database<MemoryDatabase>, agent: string, between = async () => {}): Promise<string[]> {
    const said = (i: number) => (i < 1_500 && i % 3 === 0 ? `An ibis, sighting ${i}.` : `Nothing seen ${i}.`);
    const ibises: string[] = [];
    for (let b = 0; b < 6; b++) {
      const stored = await storeTurns(on, agent, b < 3 ? 'early' : 'late', Array.from({ length: 1_000 }, (_, k) => ({ role: 'user' as const, content: said(b * 1_000 + k) })));
      ibises.push(...stored.ids.filter((_, k) => b * 1_000 + k < 1_500 && (b * 1_000 + k) % 3 === 0));
      await between();
    }
    return ibises;
  }

  async function expectWindowsFindNewest(on: Database<MemoryDatabase>, agent: string, ibises: string[]) {
    const newest = (n: number) => ibises.slice(-n).reverse();
    for (const scanRows of [3, 100, 10_000]) {
      for (const candidates of [10, 100, 200]) {
        const hits = (await searchTurns(on.db, agent, 'ibis', undefined, 10, candidates, scanRows)).map((h) => h.memory_id);
        expect({ agent, scanRows, candidates, hits }).toEqual({ agent, scanRows, candidates, hits: newest(10) });
        expect(hits).toEqual(await rankEveryMatch(on.db, agent, 'ibis', 10));
        const inSession = (await searchTurns(on.db, agent, 'ibis', 'early', 10, candidates, scanRows)).map((h) => h.memory_id);
        expect({ agent, scanRows, candidates, inSession }).toEqual({ agent, scanRows, candidates, inSession: newest(10) });
      }
    }
    // All 500 wanted: windows reach the agent's first turn.
    expect((await searchTurns(on.db, agent, 'ibis', undefined, 500, 500, 3)).map((h) => h.memory_id)).toEqual(newest(500));
  }

  it('walks back over id windows to matches that are common only long ago, newest first', async () => {
    await expectWindowsFindNewest(database, 'ancient', await seedAncient(database, 'ancient'));
  });

  it('answers the same when the agent holds most of the table (the windows ask the GIN index for the word alone)', async () => {
    const soloSchema = uniqueSchema('memory_search_solo');
    const solo = await createDatabase<MemoryDatabase>({ url: PG_URL, schema: soloSchema, logger: quietLogger().logger });
    try {
      await solo.migrate(migrations, MIGRATIONS_APP);
      // Another agent says "ibis" between the batches, inside the windows' id ranges.
      const ibises = await seedAncient(solo, 'solo', async () => void (await storeTurns(solo, 'other', 's', [{ role: 'user', content: 'An ibis of another agent.' }])));
      await expectWindowsFindNewest(solo, 'solo', ibises);
    } finally {
      await solo.close();
      await dropSchema(soloSchema);
    }
  });

  it('plans the search past the walk as bitmaps through the GIN index, whatever the statistics say', async () => {
    // Statistics that call every word common: planned from them alone, the search would walk the whole
    // history backwards. The statements inside the function are shown by auto_explain (nested statements).
    await sql`analyze turns`.execute(database.db);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const plans: string[] = [];
      client.on('notice', (n) => plans.push(n.message ?? ''));
      await client.query(`set search_path = "${schema}", public`);
      await client.query(`load 'auto_explain'`);
      for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', 'log_level = notice']) await client.query(`set auto_explain.${setting}`);
      // plover: one old match and quokka none (the probe answers); ibis: 500, only long ago (then windows).
      for (const [agent, word] of [['long', 'plover'], ['ancient', 'ibis'], ['long', 'quokka']] as const) {
        plans.length = 0;
        const compiled = textMatchesStatement(agent, word, undefined, 10, { candidates: 100, scanRows: 200 }).compile(database.db);
        await client.query(compiled.sql, [...compiled.parameters]);
        // After bitmaps only are on: the probe (the GIN index alone) and the id windows (the GIN index, the
        // btree over the window's ids, or both ANDed: each bounded by the agent's matches or the window).
        const past = plans.slice(plans.findIndex((p) => p.includes('set_config')) + 1, -2);
        const probes = past.filter((p) => p.includes('t.id + 0 < boundary'));
        const windows = past.filter((p) => p.includes('t.id >= lo and t.id < hi'));
        expect({ word, probes: probes.length > 0, windows: windows.length > 0 }).toEqual({ word, probes: true, windows: word === 'ibis' });
        for (const plan of probes) expect(plan).toContain('Bitmap Index Scan on turns_agent_search_idx');
        for (const plan of past) expect(plan).not.toMatch(/Seq Scan|(?<!Bitmap )Index Scan|Index Only Scan/);
        expect(plans.join('\n')).not.toContain('Seq Scan');
      }
    } finally {
      await client.end();
    }
  });
});
