// Postgres access of workflows. Every function takes the database (or a transaction) first.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database as DatabaseHandle } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import type { WorkflowDefinition } from './definition.js';
import { FINISHED_RUN_STATES, type RunState, type StepState, type WorkflowRun, type WorkflowRow, type WorkflowStepRow } from './tables.js';

export type Db = Kysely<Database> | Transaction<Database>;
/** Runs named (prepared) statements: the database handle of base-server. The two statements of every step use it. */
export type Prepared = Pick<DatabaseHandle<Database>, 'prepared'>;

export interface SavedVersion {
  name: string;
  version: number;
  created_at: Date;
}

/** Saves a new immutable version (1 for a new name; a deleted name comes back with its next version). */
export async function saveVersion(db: Kysely<Database>, def: WorkflowDefinition, caller: string, now: Date): Promise<SavedVersion> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('workflows')
      .values({ name: def.name, latest_version: 1, description: def.description, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          latest_version: sql<number>`workflows.latest_version + 1`,
          description: def.description,
          updated_at: now,
          deleted_at: null,
          deleted_by: null,
        }),
      )
      .returning(['latest_version'])
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('workflow_versions')
      .values({ workflow: def.name, version: row.latest_version, definition: JSON.stringify(def), created_at: now, created_by: caller })
      .execute();
    return { name: def.name, version: row.latest_version, created_at: now };
  });
}

export async function listWorkflows(db: Db, includeDeleted = false): Promise<WorkflowRow[]> {
  let q = db.selectFrom('workflows').selectAll().orderBy('name');
  if (!includeDeleted) q = q.where('deleted_at', 'is', null);
  return q.execute();
}

export const findWorkflow = (db: Db, name: string): Promise<WorkflowRow | undefined> => db.selectFrom('workflows').selectAll().where('name', '=', name).executeTakeFirst();

export async function findVersion(db: Db, name: string, version: number): Promise<{ definition: WorkflowDefinition; created_at: Date; created_by: string } | undefined> {
  return db
    .selectFrom('workflow_versions')
    .select(['definition', 'created_at', 'created_by'])
    .where('workflow', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
}

export const listVersions = (db: Db, name: string) =>
  db.selectFrom('workflow_versions').select(['version', 'created_at', 'created_by']).where('workflow', '=', name).orderBy('version', 'desc').execute();

/** The schedule of every workflow not deleted whose latest version has one (what the job schedulers should be). */
export async function scheduledWorkflows(db: Db): Promise<Array<{ workflow: string; cron: string; tz: string | undefined }>> {
  const rows = await db
    .selectFrom('workflows as w')
    .innerJoin('workflow_versions as v', (j) => j.onRef('v.workflow', '=', 'w.name').onRef('v.version', '=', 'w.latest_version'))
    .select(['w.name', 'v.definition'])
    .where('w.deleted_at', 'is', null)
    .orderBy('w.name')
    .execute();
  return rows.flatMap((r) => (r.definition.schedule ? [{ workflow: r.name, cron: r.definition.schedule.cron, tz: r.definition.schedule.tz }] : []));
}

/** Marks the workflow deleted (once); its versions and runs are kept. */
export async function softDelete(db: Db, name: string, caller: string, now: Date): Promise<boolean> {
  const r = await db.updateTable('workflows').set({ deleted_at: now, deleted_by: caller, updated_at: now }).where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Inserts a new run with its first step rows (as start decided them), in one statement. */
export async function insertRun(db: Db, run: WorkflowRun, steps: readonly StepInsert[]): Promise<void> {
  const insert = db.insertInto('workflow_runs').values({ ...run, input: JSON.stringify(run.input ?? {}) });
  if (steps.length === 0) return void (await insert.execute());
  await db.with('run', () => insert).insertInto('workflow_steps').values(steps.map(stepRow)).execute();
}

/** Deletes a run none of whose steps was ever started (its steps cascade); false when one was, or it is gone. */
export async function deleteUnstartedRun(db: Db, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('workflow_runs')
    .where('id', '=', id)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('workflow_steps').select('index').where('run_id', '=', id).where('attempt', '>', 0))))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export const findRun = (db: Db, id: string): Promise<WorkflowRun | undefined> => db.selectFrom('workflow_runs').selectAll().where('id', '=', id).executeTakeFirst();

/** The run row, locked until the transaction ends: every state change of a run goes through this. */
export const lockRun = (trx: Transaction<Database>, id: string): Promise<WorkflowRun | undefined> =>
  trx.selectFrom('workflow_runs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export async function setRunState(db: Db, id: string, state: RunState, now: Date, error?: string | null): Promise<void> {
  const finished = FINISHED_RUN_STATES.includes(state);
  await db
    .updateTable('workflow_runs')
    .set({ state, updated_at: now, ...(finished ? { finished_at: now } : {}), ...(error !== undefined ? { error } : {}) })
    .where('id', '=', id)
    .execute();
}

export const stepsOf = (db: Db, runId: string): Promise<WorkflowStepRow[]> => db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).orderBy('index').execute();

export const findStep = (db: Db, runId: string, index: number): Promise<WorkflowStepRow | undefined> =>
  db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).where('index', '=', index).executeTakeFirst();

/** An update of one step row that may ride along with the next statement (see insertStep). */
export interface StepWrite {
  runId: string;
  index: number;
  set: StepUpdate;
}

/** A new step row, as planning decided it. */
export interface StepInsert extends Pick<WorkflowStepRow, 'run_id' | 'index' | 'step_id' | 'server' | 'tool' | 'state'> {
  args?: unknown;
  error?: string | null;
  dispatch?: number;
  now: Date;
}

function stepRow(s: StepInsert) {
  const finished = s.state === 'skipped' || s.state === 'failed';
  return {
    run_id: s.run_id,
    index: s.index,
    step_id: s.step_id,
    server: s.server,
    tool: s.tool,
    state: s.state,
    attempt: 0,
    dispatch: s.dispatch ?? 0,
    args: s.args === undefined ? null : JSON.stringify(s.args),
    error: s.error ?? null,
    created_at: s.now,
    finished_at: finished ? s.now : null,
  };
}

/** Inserts step rows; `along` (an update of another step of the run) goes in the same statement, as a CTE, saving a round trip. */
export async function insertSteps(db: Db, steps: readonly StepInsert[], along?: StepWrite): Promise<void> {
  if (steps.length === 0) return;
  if (!along) return void (await db.insertInto('workflow_steps').values(steps.map(stepRow)).execute());
  await db
    .with('along', (qc) => qc.updateTable('workflow_steps').set(along.set).where('run_id', '=', along.runId).where('index', '=', along.index))
    .insertInto('workflow_steps')
    .values(steps.map(stepRow))
    .execute();
}

/** A running step's result, to be written only if the step is still in the attempt that produced it. */
export interface StepResultWrite {
  runId: string;
  index: number;
  attempt: number;
  set: { state: StepState; output: string | null; error: string | null; finished_at: Date; duration_ms: number };
  /** Commit without waiting for the WAL flush (a repeatable tool's result: see StepRunner's claim). */
  asyncCommit?: boolean;
}

/**
 * Writes a step's result and what advancing the run decided (the next steps' rows, the run's new state),
 * in one statement that first locks the run row, and only while the run is `running` and the step still
 * `running` in this attempt; false (nothing written) otherwise. All or nothing: one statement.
 */
export async function recordStep(db: Db, prepared: Prepared, w: StepResultWrite, steps: readonly StepInsert[], run?: { state: RunState; error: string | null; now: Date }): Promise<boolean> {
  const finished = run && FINISHED_RUN_STATES.includes(run.state);
  const inserts = steps.map((st) => {
    const r = stepRow(st);
    return sql`select ${r.run_id}::uuid, ${r.index}::int, ${r.step_id}::text, ${r.server}::text, ${r.tool}::text, ${r.state}::text, ${r.attempt}::int, ${r.dispatch}::int, ${r.args}::jsonb, ${r.error}::text, ${r.created_at}::timestamptz, ${r.finished_at}::timestamptz from cur`;
  });
  const s = w.set;
  const query = sql<{ n: number }>`
    with run as (select id from workflow_runs where id = ${w.runId} and state = 'running' for update),
    cur as (
      update workflow_steps set state = ${s.state}, output = ${s.output}::jsonb, error = ${s.error}, finished_at = ${s.finished_at}, duration_ms = ${s.duration_ms}
      where run_id = (select id from run) and index = ${w.index} and attempt = ${w.attempt} and state = 'running'
      returning index
    )${
      inserts.length
        ? sql`, ins as (
      insert into workflow_steps (run_id, index, step_id, server, tool, state, attempt, dispatch, args, error, created_at, finished_at)
      ${sql.join(inserts, sql` union all `)}
    )`
        : sql``
    }${
      run
        ? sql`, fin as (
      update workflow_runs set state = ${run.state}, updated_at = ${run.now}${finished ? sql`, finished_at = ${run.now}, error = ${run.error}` : sql``}
      where id = (select id from run) and exists (select 1 from cur)
    )`
        : sql``
    }
    select count(*)::int as n, set_config('synchronous_commit', coalesce(${w.asyncCommit ? 'off' : null}::text, current_setting('synchronous_commit')), true) as commit_mode from cur`;
  // Prepared, one name per shape of the statement (how many rows it inserts, what it does to the run):
  // at most 3 x 101 shapes, as a definition has at most 100 steps.
  const { sql: text, parameters } = query.compile(db);
  const name = `workflow_record_step_${steps.length}_${run ? (finished ? 'end' : 'state') : 'next'}`;
  const rows = await prepared.prepared<{ n: number }>({ name, text }, parameters);
  return (rows[0]?.n ?? 0) > 0;
}

export type StepUpdate = Partial<{
  state: StepState;
  attempt: number;
  dispatch: number;
  args: string | null;
  output: string | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  decision: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  duration_ms: number | null;
}>;

export async function updateStep(db: Db, runId: string, index: number, set: StepUpdate): Promise<void> {
  await db.updateTable('workflow_steps').set(set).where('run_id', '=', runId).where('index', '=', index).execute();
}

export interface RunFilter {
  workflow?: string | undefined;
  state?: RunState | undefined;
  limit: number;
  /** `<created_at ms>.<id>` of the last run of the previous page. */
  cursor?: string | undefined;
}

export async function listRuns(db: Db, f: RunFilter): Promise<{ runs: WorkflowRun[]; next_cursor: string | null }> {
  let q = db.selectFrom('workflow_runs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit + 1);
  if (f.workflow) q = q.where('workflow', '=', f.workflow);
  if (f.state) q = q.where('state', '=', f.state);
  if (f.cursor) {
    const [ms, id] = f.cursor.split('.', 2);
    const at = new Date(Number(ms));
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id ?? '')])]));
  }
  const rows = await q.execute();
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return { runs: page, next_cursor: rows.length > f.limit && last ? `${last.created_at.getTime()}.${last.id}` : null };
}

/** Queued steps of running runs (found through the in-flight runs' index), oldest runs first, at most `limit`. */
/** Steps of running runs that a job should be carrying: queued, or running (mid-call). */
export const dispatchedSteps = (db: Db, limit: number): Promise<Array<{ run_id: string; index: number; dispatch: number; state: StepState }>> =>
  db
    .selectFrom('workflow_runs as r')
    .innerJoin('workflow_steps as s', 's.run_id', 'r.id')
    .select(['s.run_id', 's.index', 's.dispatch', 's.state'])
    .where('r.finished_at', 'is', null)
    .where('r.state', '=', 'running')
    .where('s.state', 'in', ['queued', 'running'])
    .orderBy('r.created_at')
    .limit(limit)
    .execute();

/** Runs not finished (running, paused, waiting): the ones resumed at start-up. */
export const inFlightRuns = (db: Db): Promise<WorkflowRun[]> => db.selectFrom('workflow_runs').selectAll().where('finished_at', 'is', null).orderBy('created_at').execute();

/** Deletes up to `batch` finished runs (their steps cascade) that finished before `cutoff`; returns how many. */
export async function deleteFinishedBefore(db: Db, cutoff: Date, batch: number): Promise<number> {
  const r = await sql<{ n: string }>`
    with doomed as (select id from workflow_runs where finished_at is not null and finished_at < ${cutoff} order by finished_at limit ${batch})
    delete from workflow_runs where id in (select id from doomed)`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

export async function gaugeCounts(db: Db): Promise<{ active: number; waiting: number }> {
  const [runs, steps] = await Promise.all([
    db.selectFrom('workflow_runs').select((eb) => eb.fn.countAll<string>().as('n')).where('finished_at', 'is', null).executeTakeFirst(),
    db.selectFrom('workflow_steps').select((eb) => eb.fn.countAll<string>().as('n')).where('state', 'in', ['waiting_approval', 'unknown']).executeTakeFirst(),
  ]);
  return { active: Number(runs?.n ?? 0), waiting: Number(steps?.n ?? 0) };
}
