// The orchestrator: every change of a run's state is written holding the run's row lock — in one
// transaction, or for a step's result in the common case one statement that takes the lock (see
// StepRunner) — and the step jobs it decides on are put on the queue only after that committed (so a
// step is queued only once the previous step's result is in Postgres). What to write is decided by
// plan(), the one place of the rules of moving a run on. A job not queued after the commit (Redis
// refused it) fails the job that decided it, whose next delivery queues it (StepRunner); one lost with
// a crash is found at start-up (resumeInFlight): its step is still `queued`.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import type { WorkflowDefinition, WorkflowStep } from './definition.js';
import { decisionNotAllowed, invalidInput, noDecisionPending, queueNotConfigured, runNotFound, runStateConflict, versionNotFound, workflowNotFound } from './errors.js';
import { condition, ExpressionError, resolveArgs, type ExpressionLimits } from './expressions.js';
import type { WorkflowMetrics } from './metrics.js';
import * as repo from './repository.js';
import { checkAgainst } from './schema-check.js';
import type { StepJob, StepQueue } from './step-queue.js';
import { FINISHED_RUN_STATES, type RunState, type StepState, type WorkflowRun, type WorkflowStepRow } from './tables.js';
import type { ToolDirectory } from './tool-directory.js';

export interface EngineDeps {
  db: Kysely<Database>;
  /** The same database's prepared statements (a step's claim and record). */
  prepared: repo.Prepared;
  queue: StepQueue | undefined;
  directory: ToolDirectory;
  metrics: WorkflowMetrics;
  logger: Logger;
  limits: ExpressionLimits;
  now?: () => Date;
}

export type Decision = 'approve' | 'retry' | 'skip' | 'fail';
export type Pending = StepJob & { delayMs?: number };
/** What planning reads of a run and of its steps. */
export type RunView = Pick<WorkflowRun, 'id' | 'workflow' | 'version' | 'caller' | 'input' | 'state'>;
export type StepView = Pick<WorkflowStepRow, 'index' | 'step_id' | 'state' | 'output' | 'error' | 'dispatch'>;

/** What moving a run forward decided, before any of it is written. */
export interface AdvancePlan {
  /** New step rows, in index order. */
  inserts: repo.StepInsert[];
  /** Steps left `queued` that go on the queue again (a new dispatch). */
  redispatch: repo.StepWrite[];
  /** The run's new state when it changes (`waiting`, or how it finished, with its error). */
  run?: { state: RunState; error: string | null };
  /** The step jobs to queue once this is written. */
  pending: Pending[];
}
type Trx = Transaction<Database>;

const PASSED = new Set(['succeeded', 'skipped']);

export class WorkflowEngine {
  private readonly definitions = new Map<string, WorkflowDefinition>();
  readonly now: () => Date;

  constructor(readonly d: EngineDeps) {
    this.now = d.now ?? (() => new Date());
  }

  /** A pinned version's definition (immutable, so cached). */
  async definition(db: repo.Db, workflow: string, version: number): Promise<WorkflowDefinition> {
    const key = `${version}@${workflow}`;
    const hit = this.definitions.get(key);
    if (hit) return hit;
    const row = await repo.findVersion(db, workflow, version);
    if (!row) throw versionNotFound(workflow, version);
    this.definitions.set(key, row.definition);
    return row.definition;
  }

  /** Runs `fn` on the locked run, then queues what it decided on. */
  async transition<T>(runId: string, fn: (trx: Trx, run: WorkflowRun, def: WorkflowDefinition, pending: Pending[]) => Promise<T>): Promise<T> {
    const pending: Pending[] = [];
    const out = await this.d.db.transaction().execute(async (trx) => {
      const run = await repo.lockRun(trx, runId);
      if (!run) throw runNotFound(runId);
      const def = await this.definition(trx, run.workflow, run.version);
      return fn(trx, run, def, pending);
    });
    await this.flush(pending);
    return out;
  }

  async flush(pending: Pending[]): Promise<void> {
    if (pending.length === 0) return;
    if (!this.d.queue) throw queueNotConfigured();
    await this.d.queue.enqueue(pending);
  }

  async start(workflow: string, input: unknown, caller: string, trigger: WorkflowRun['trigger'], version?: number): Promise<WorkflowRun> {
    if (!this.d.queue) throw queueNotConfigured();
    const wf = await repo.findWorkflow(this.d.db, workflow);
    if (!wf || wf.deleted_at) throw workflowNotFound(workflow);
    const v = version ?? wf.latest_version;
    const def = await this.definition(this.d.db, workflow, v);
    const problems = checkAgainst(def.input, input ?? {}, 'input');
    if (problems.length) throw invalidInput(problems);
    const now = this.now();
    const run: WorkflowRun = { id: randomUUID(), workflow, version: v, state: 'running', input: input ?? {}, caller, trigger, error: null, created_at: now, updated_at: now, finished_at: null };
    // A new run has no steps and nobody else sees it before it is written: its first steps are decided
    // first, then the run (in the state they leave it) and their rows are written in one statement.
    const plan = await this.plan(run, def, [], false);
    if (plan.run) Object.assign(run, { state: plan.run.state, error: plan.run.error ?? null, ...(FINISHED_RUN_STATES.includes(plan.run.state) ? { finished_at: now } : {}) });
    await repo.insertRun(this.d.db, run, plan.inserts);
    try {
      await this.flush(plan.pending);
    } catch (err) {
      // Its first job could not be queued: the run is taken back unless a worker already started a step
      // (the job reached Redis after all), so a caller retrying after this error gets one run, not two
      // (left in place, it would start at a worker's next start-up beside the retry's run).
      if (await repo.deleteUnstartedRun(this.d.db, run.id)) throw err;
    }
    this.d.logger.info({ runId: run.id, workflow, version: v, caller, trigger }, 'workflow run started');
    if (run.finished_at) this.finished(run);
    return run;
  }

  /** What expressions see: the run's input, each earlier step's output and state, and the run. */
  context(run: RunView, rows: readonly StepView[]) {
    const steps: Record<string, { state: string; output: unknown; error: string | null }> = {};
    for (const r of rows) steps[r.step_id] = { state: r.state, output: r.output, error: r.error };
    return { input: run.input, steps, run: { id: run.id, workflow: run.workflow, version: run.version, caller: run.caller } };
  }

  async finish(trx: Trx, run: WorkflowRun, state: RunState, error: string | null): Promise<void> {
    const now = this.now();
    await repo.setRunState(trx, run.id, state, now, error);
    Object.assign(run, { state, error, finished_at: now, updated_at: now });
    this.finished(run);
  }

  /** What a run's end is known by, once it is written: its counter and its log line. */
  finished(run: Pick<WorkflowRun, 'id' | 'workflow' | 'state' | 'error'>): void {
    this.d.metrics.runsTotal.inc({ workflow: run.workflow, outcome: run.state });
    this.d.logger.info({ runId: run.id, workflow: run.workflow, outcome: run.state, error: run.error }, 'workflow run finished');
  }

  async setState(trx: Trx, run: WorkflowRun, state: RunState): Promise<void> {
    if (run.state === state) return;
    await repo.setRunState(trx, run.id, state, this.now());
    run.state = state;
  }

  /**
   * Moves a running run forward (see plan) and writes what that decided. `known` is the run's step rows
   * as the caller read them in this transaction (under the run's lock), with `along` (the caller's update
   * of one of them, not yet written) applied: it saves reading them again, and `along` is written in the
   * same statement as the next steps' rows, else on its own.
   */
  async advance(trx: Trx, run: WorkflowRun, def: WorkflowDefinition, pending: Pending[], redispatch = false, known?: readonly StepView[], along?: repo.StepWrite): Promise<void> {
    const plan = await this.plan(run, def, known ?? (await repo.stepsOf(trx, run.id)), redispatch);
    if (plan.inserts.length) await repo.insertSteps(trx, plan.inserts, along);
    else if (along) await repo.updateStep(trx, along.runId, along.index, along.set);
    for (const u of plan.redispatch) await repo.updateStep(trx, u.runId, u.index, u.set);
    if (plan.run) {
      if (FINISHED_RUN_STATES.includes(plan.run.state)) await this.finish(trx, run, plan.run.state, plan.run.error ?? null);
      else await this.setState(trx, run, plan.run.state);
    }
    pending.push(...plan.pending);
  }

  /**
   * What moving a running run forward decides, from its step rows, writing nothing: pass finished steps,
   * skip those whose `when` is false, stop at an approval, queue the next step, or finish the run.
   * `redispatch` re-queues a step left `queued` (resume, start-up). The callers write the plan: under the
   * run's lock (advance), with a new run (start), or in one statement guarded by the run's state (a step's
   * result, StepRunner).
   */
  async plan(run: RunView, def: WorkflowDefinition, rows: readonly StepView[], redispatch: boolean): Promise<AdvancePlan> {
    const plan: AdvancePlan = { inserts: [], redispatch: [], pending: [] };
    if (run.state !== 'running') return plan;
    const byIndex = new Map<number, StepView>(rows.map((r) => [r.index, r]));
    const now = this.now();
    const end = (state: RunState, error: string | null = null) => ((plan.run = { state, error }), plan);
    for (let i = 0; ; i++) {
      const step = def.steps[i];
      if (!step) return end('succeeded');
      const row = byIndex.get(i);
      if (row) {
        if (PASSED.has(row.state) || (row.state === 'failed' && step.on_error === 'continue')) continue;
        if (row.state === 'failed') return end('failed', `step ${step.id} failed: ${row.error ?? ''}`);
        if (row.state === 'waiting_approval' || row.state === 'unknown') return end('waiting');
        if (row.state === 'queued' && redispatch) {
          plan.redispatch.push({ runId: run.id, index: i, set: { dispatch: row.dispatch + 1 } });
          plan.pending.push({ runId: run.id, index: i, dispatch: row.dispatch + 1 });
        }
        return plan;
      }
      const context = this.context(run, [...byIndex.values()]);
      const base = { run_id: run.id, index: i, step_id: step.id, server: step.server, tool: step.tool, now };
      /** A step decided here that later steps' expressions see. */
      const passed = (state: StepState, error: string | null = null) => byIndex.set(i, { index: i, step_id: step.id, state, output: null, error, dispatch: 0 });
      let args: unknown;
      try {
        if (step.when !== undefined && !(await condition(step.when, context, `steps[${i}].when`, this.d.limits))) {
          plan.inserts.push({ ...base, state: 'skipped' });
          passed('skipped');
          continue;
        }
        args = await resolveArgs(step.args, context, `steps[${i}].args`, this.d.limits);
        if (!args || typeof args !== 'object' || Array.isArray(args)) throw new ExpressionError('the arguments must be a JSON object', `steps[${i}].args`);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        const error = `${err.path}: ${err.message}`;
        plan.inserts.push({ ...base, state: 'failed', error });
        if (step.on_error === 'continue') {
          passed('failed', error);
          continue;
        }
        return end('failed', `step ${step.id}: ${err.message}`);
      }
      if (await this.needsApproval(step)) {
        plan.inserts.push({ ...base, state: 'waiting_approval', args });
        return end('waiting');
      }
      plan.inserts.push({ ...base, state: 'queued', args, dispatch: 1 });
      plan.pending.push({ runId: run.id, index: i, dispatch: 1 });
      return plan;
    }
  }

  /** Explicit `approval` wins; otherwise a tool annotated destructive (or not found) needs one. */
  async needsApproval(step: WorkflowStep): Promise<boolean> {
    if (step.approval !== undefined) return step.approval;
    const tool = await this.d.directory.tool(step.server, step.tool).catch(() => undefined);
    return tool ? tool.destructive : true;
  }

  async cancel(runId: string, caller: string): Promise<WorkflowRun> {
    return this.transition(runId, async (trx, run) => {
      if (run.finished_at) throw runStateConflict(run.id, run.state, 'cancelled');
      await trx
        .updateTable('workflow_steps')
        .set({ state: 'cancelled', finished_at: this.now(), decided_by: caller, decision: 'cancel', decided_at: this.now() })
        .where('run_id', '=', run.id)
        .where('state', 'in', ['queued', 'waiting_approval', 'unknown'])
        .execute();
      await this.finish(trx, run, 'cancelled', `cancelled by ${caller}`);
      return run;
    });
  }

  async pause(runId: string, caller: string): Promise<WorkflowRun> {
    return this.transition(runId, async (trx, run) => {
      if (run.state !== 'running' && run.state !== 'waiting') throw runStateConflict(run.id, run.state, 'paused');
      await this.setState(trx, run, 'paused');
      this.d.logger.info({ runId, caller }, 'workflow run paused');
      return run;
    });
  }

  async resume(runId: string, caller: string): Promise<WorkflowRun> {
    return this.transition(runId, async (trx, run, def, pending) => {
      if (run.state !== 'paused') throw runStateConflict(run.id, run.state, 'resumed');
      await this.setState(trx, run, 'running');
      await this.advance(trx, run, def, pending, true);
      this.d.logger.info({ runId, caller }, 'workflow run resumed');
      return run;
    });
  }

  /** An operator's answer to a step waiting for approval (approve/skip/fail) or left unknown by an interruption (retry/skip/fail). */
  async decide(runId: string, stepId: string, decision: Decision, caller: string): Promise<WorkflowStepRow> {
    return this.transition(runId, async (trx, run, def, pending) => {
      const index = def.steps.findIndex((s) => s.id === stepId);
      const row = index < 0 ? undefined : await repo.findStep(trx, run.id, index);
      if (!row || (row.state !== 'waiting_approval' && row.state !== 'unknown') || run.finished_at) throw noDecisionPending(run.id, stepId);
      const fits = row.state === 'waiting_approval' ? decision !== 'retry' : decision !== 'approve';
      if (!fits) throw decisionNotAllowed(stepId, row.state, decision);
      const now = this.now();
      const recorded = { decision, decided_by: caller, decided_at: now };
      if (decision === 'approve' || decision === 'retry') {
        await repo.updateStep(trx, run.id, index, { ...recorded, state: 'queued', dispatch: row.dispatch + 1 });
        if (run.state === 'waiting') {
          await this.setState(trx, run, 'running');
          pending.push({ runId: run.id, index, dispatch: row.dispatch + 1 });
        }
      } else if (decision === 'skip') {
        await repo.updateStep(trx, run.id, index, { ...recorded, state: 'skipped', finished_at: now });
        if (run.state === 'waiting') await this.setState(trx, run, 'running');
        await this.advance(trx, run, def, pending);
      } else {
        await repo.updateStep(trx, run.id, index, { ...recorded, state: 'failed', finished_at: now, error: row.error ?? `failed by ${caller}` });
        await this.finish(trx, run, 'failed', `step ${stepId} failed by decision of ${caller}`);
      }
      this.d.logger.info({ runId, step: stepId, decision, caller }, 'workflow step decided');
      return (await repo.findStep(trx, run.id, index))!;
    });
  }
}
