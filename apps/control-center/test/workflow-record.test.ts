// The statements that write a step's result and a new run without a transaction (repository.ts):
// recordStep writes only while the run is running and the step still in the attempt that produced the
// result, and then all of it (result, next steps, the run's end) or nothing; insertRun writes a run with
// its first steps at once. Real Postgres.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createDatabase, createLogger, type Database as DatabaseHandle } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { migrations } from '../src/db/migrations.js';
import { SERVICE_NAME } from '../src/app.js';
import { parseDefinition } from '../src/workflows/definition.js';
import { insertRun, recordStep, saveVersion, stepsOf, findRun, type StepInsert } from '../src/workflows/repository.js';
import type { WorkflowRun } from '../src/workflows/tables.js';
import { PG_URL } from './helpers.js';

const schema = uniqueSchema('cc_wfrecord');
let database: DatabaseHandle<Database>;
const now = new Date('2026-12-01T12:00:00Z');
const later = new Date('2026-12-01T12:00:05Z');

beforeAll(async () => {
  database = await createDatabase<Database>({ url: PG_URL, schema, logger: createLogger({ service: 'test', version: '0', level: 'silent' }) });
  await database.migrate(migrations, SERVICE_NAME);
  await saveVersion(database.db, parseDefinition({ name: 'two', steps: [{ id: 'a', server: 's', tool: 't', args: {} }, { id: 'b', server: 's', tool: 't', args: {} }] }), 'test', now);
});
afterAll(async () => {
  await database.close();
  await dropSchema(PG_URL, schema);
});

const newRun = (): WorkflowRun => ({ id: randomUUID(), workflow: 'two', version: 1, state: 'running', input: { n: 1 }, caller: 'test', trigger: 'rest', error: null, created_at: now, updated_at: now, finished_at: null });
const stepInsert = (run: WorkflowRun, index: number, state: StepInsert['state'] = 'queued'): StepInsert => ({ run_id: run.id, index, step_id: index === 0 ? 'a' : 'b', server: 's', tool: 't', state, args: { index }, dispatch: 1, now });
const result = (run: WorkflowRun, attempt = 1) => ({ runId: run.id, index: 0, attempt, set: { state: 'succeeded' as const, output: JSON.stringify({ ok: true }), error: null, finished_at: later, duration_ms: 7 } });

let run: WorkflowRun;
beforeEach(async () => {
  run = newRun();
  await insertRun(database.db, run, [stepInsert(run, 0)]);
  await database.db.updateTable('workflow_steps').set({ state: 'running', attempt: 1, started_at: now }).where('run_id', '=', run.id).execute();
});

describe('insertRun', () => {
  it('writes the run and its first step in one statement', async () => {
    expect(await findRun(database.db, run.id)).toMatchObject({ state: 'running', input: { n: 1 }, caller: 'test', finished_at: null });
    expect(await stepsOf(database.db, run.id)).toEqual([expect.objectContaining({ index: 0, step_id: 'a', args: { index: 0 }, dispatch: 1 })]);
  });
});

describe('recordStep', () => {
  it('writes the result and the next step while the run is running and the step in this attempt', async () => {
    expect(await recordStep(database.db, database, result(run), [stepInsert(run, 1)])).toBe(true);
    const steps = await stepsOf(database.db, run.id);
    expect(steps.map((s) => [s.index, s.state])).toEqual([[0, 'succeeded'], [1, 'queued']]);
    expect(steps[0]).toMatchObject({ output: { ok: true }, duration_ms: 7, finished_at: later });
    expect(steps[1]).toMatchObject({ args: { index: 1 }, dispatch: 1, attempt: 0 });
    expect((await findRun(database.db, run.id))?.state).toBe('running');
  });

  it('commits without waiting for the WAL flush only when asked (a repeatable tool), else as the database is set', async () => {
    // What the transaction commits with is the setting in effect at its commit: the value the statement set.
    const modes: unknown[] = [];
    const watched = { prepared: async <R>(st: { name: string; text: string }, values: readonly unknown[]) => {
      const rows = await database.prepared<R>(st, values);
      modes.push((rows[0] as { commit_mode?: unknown } | undefined)?.commit_mode);
      return rows;
    } };
    expect(await recordStep(database.db, watched, { ...result(run), asyncCommit: true }, [stepInsert(run, 1)])).toBe(true);
    const second = newRun();
    await insertRun(database.db, second, [stepInsert(second, 0)]);
    await database.db.updateTable('workflow_steps').set({ state: 'running', attempt: 1, started_at: now }).where('run_id', '=', second.id).execute();
    expect(await recordStep(database.db, watched, result(second), [stepInsert(second, 1)])).toBe(true);
    const configured = (await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(database.db)).rows[0]?.s;
    expect(configured).not.toBe('off');
    expect(modes).toEqual(['off', configured]);
    expect((await stepsOf(database.db, run.id)).map((s) => s.state)).toEqual(['succeeded', 'queued']);
  });

  it("writes the run's end with the last result", async () => {
    expect(await recordStep(database.db, database, result(run), [], { state: 'failed', error: 'step b: bad', now: later })).toBe(true);
    expect(await findRun(database.db, run.id)).toMatchObject({ state: 'failed', error: 'step b: bad', finished_at: later, updated_at: later });
  });

  it('writes nothing for a result of an older attempt', async () => {
    await database.db.updateTable('workflow_steps').set({ attempt: 2 }).where('run_id', '=', run.id).execute();
    expect(await recordStep(database.db, database, result(run, 1), [stepInsert(run, 1)], { state: 'succeeded', error: null, now: later })).toBe(false);
    expect((await stepsOf(database.db, run.id)).map((s) => [s.index, s.state])).toEqual([[0, 'running']]);
    expect((await findRun(database.db, run.id))?.state).toBe('running');
  });

  it.each(['paused', 'cancelled', 'waiting'] as const)('writes nothing when the run is %s', async (state) => {
    await database.db.updateTable('workflow_runs').set({ state }).where('id', '=', run.id).execute();
    expect(await recordStep(database.db, database, result(run), [stepInsert(run, 1)])).toBe(false);
    expect((await stepsOf(database.db, run.id)).map((s) => [s.index, s.state])).toEqual([[0, 'running']]);
  });

  it('waits for a transaction holding the run and then sees its change (a cancel commits first)', async () => {
    const trx = await database.db.startTransaction().execute();
    await trx.selectFrom('workflow_runs').select('id').where('id', '=', run.id).forUpdate().execute();
    const recording = recordStep(database.db, database, result(run), [stepInsert(run, 1)]);
    await new Promise((r) => setTimeout(r, 200));
    await trx.updateTable('workflow_runs').set({ state: 'cancelled', finished_at: later }).where('id', '=', run.id).execute();
    await trx.commit().execute();
    expect(await recording).toBe(false);
    expect((await stepsOf(database.db, run.id)).map((s) => [s.index, s.state])).toEqual([[0, 'running']]);
  });

  it('writes nothing at all when one of its parts fails (the next step already exists)', async () => {
    await database.db.insertInto('workflow_steps').values({ run_id: run.id, index: 1, step_id: 'b', server: 's', tool: 't', state: 'queued', attempt: 0, dispatch: 1, created_at: now }).execute();
    await expect(recordStep(database.db, database, result(run), [stepInsert(run, 1)], { state: 'succeeded', error: null, now: later })).rejects.toThrow(/duplicate key/);
    expect((await stepsOf(database.db, run.id)).map((s) => [s.index, s.state])).toEqual([[0, 'running'], [1, 'queued']]);
    expect((await findRun(database.db, run.id))?.state).toBe('running');
  });
});
