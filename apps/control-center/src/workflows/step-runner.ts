// Runs one step job: claims the step (recording the attempt before calling), calls the tool through
// the server's pooled MCP client (one connected client per server, reused across steps), and records
// the result in Postgres before the next step is queued. The common case costs two statements: the
// claim (which also reads what recording needs) and the record (the result, the next step's row and the
// run's end, written only while the run is still running and the step in this attempt); anything else
// takes the path that locks the run in a transaction and reads it again.
//
// Crash safety: a job that finds its step already `running` was interrupted mid-call (worker killed,
// lock lost). It calls again only when the tool says it is safe (readOnlyHint or idempotentHint);
// otherwise the step becomes `unknown` and the run waits for an operator: a mutation is never repeated
// blindly.
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Dispatcher } from '@factory/base-server';
import type { ToolCallOutcome } from '../catalog/mcp-catalog.js';
import { McpClientPool } from '../catalog/mcp-client-pool.js';
import type { WorkflowDefinition, WorkflowStep } from './definition.js';
import type { WorkflowEngine, Pending, RunView, StepView } from './engine.js';
import * as repo from './repository.js';
import { isLive, type StepJob } from './step-queue.js';
import { isRepeatable } from './tool-directory.js';
import { FINISHED_RUN_STATES, type StepState, type WorkflowRun, type WorkflowStepRow } from './tables.js';

export interface StepRunnerOptions {
  defaultTimeoutMs: number;
  dispatcher?: Dispatcher;
}

export type StepOutcome = 'stale' | 'held' | 'unknown' | 'succeeded' | 'failed' | 'retrying' | 'discarded';

const MAX_ERROR = 2_000;

type ClaimRow = WorkflowStepRow & { workflow: string; version: number; run_input: unknown; run_caller: string; others: StepView[]; commit_mode: string };

export class StepRunner {
  /** One connected client per server for every step this runner calls; closed by close(). */
  readonly clients: McpClientPool;

  constructor(
    private readonly engine: WorkflowEngine,
    private readonly o: StepRunnerOptions,
  ) {
    this.clients = new McpClientPool(o.dispatcher);
  }

  /** Closes the pooled MCP clients (after the worker stopped taking jobs). */
  close(): Promise<void> {
    return this.clients.close();
  }

  private get d() {
    return this.engine.d;
  }

  /** Whether calling the tool again after an interruption cannot do harm, by its own annotations. */
  async safeToRepeat(server: string, tool: string): Promise<boolean> {
    return isRepeatable(await this.d.directory.tool(server, tool).catch(() => undefined));
  }

  /**
   * The common case in one statement: a queued step of a running run becomes `running` with its attempt
   * counted (committed before the call), and what recording its result needs comes back with it: the
   * run and its other steps (they cannot change while this step runs, except through the run's state,
   * which the recording statement checks). Anything else (an interrupted step, a held or stale job)
   * takes the locked path below.
   *
   * A repeatable tool's claim (read-only or idempotent, by the lists the directory has read) commits
   * without waiting for its WAL flush (`synchronous_commit = off` for that transaction alone, set
   * within the statement), and so does its record: only a crash of Postgres itself can lose such a
   * commit (at most about 3 × wal_writer_delay of them), and the step is then called again, which its
   * tool allows. Every other step's claim and record commit as the database is configured to: the call
   * of a mutating tool never starts before its attempt is on disk. A synchronous commit flushes every
   * earlier commit too, so nothing after a mutating step's claim can be lost from before it.
   */
  private async fastClaim(job: StepJob) {
    const now = this.engine.now();
    const repeatable = this.d.directory.repeatable;
    const claim = sql<ClaimRow>`
      update workflow_steps s set state = 'running', attempt = s.attempt + 1, started_at = ${now}, error = null
      from workflow_runs r
      where r.id = s.run_id and s.run_id = ${job.runId} and s.index = ${job.index} and s.dispatch = ${job.dispatch}
        and s.state = 'queued' and r.state = 'running'
      returning s.*, r.workflow, r.version, r.input as run_input, r.caller as run_caller,
        (select coalesce(json_agg(json_build_object('index', o.index, 'step_id', o.step_id, 'state', o.state, 'output', o.output, 'error', o.error, 'dispatch', o.dispatch) order by o.index), '[]'::json)
           from workflow_steps o where o.run_id = s.run_id and o.index <> s.index) as others,
        set_config('synchronous_commit', case when (s.server, s.tool) in (select * from unnest(${repeatable.servers}::text[], ${repeatable.tools}::text[])) then 'off' else current_setting('synchronous_commit') end, true) as commit_mode`.compile(this.d.db);
    const [found] = await this.d.prepared.prepared<ClaimRow>({ name: 'workflow_claim_step', text: claim.sql }, claim.parameters);
    if (!found) return undefined;
    const { workflow, version, run_input, run_caller, others, commit_mode, ...row } = found;
    const def = await this.engine.definition(this.d.db, workflow, version);
    const seen = { run: { id: row.run_id, workflow, version, caller: run_caller, input: run_input, state: 'running' as const }, others, def, asyncCommit: commit_mode === 'off' };
    return { outcome: 'claimed' as const, attempt: row.attempt, row, seen, timeoutMs: def.steps[row.index]?.timeout_ms ?? this.o.defaultTimeoutMs };
  }

  async run(job: StepJob): Promise<StepOutcome> {
    // 1. Claim: the attempt is committed before the call, so an interruption is visible afterwards.
    const claim = (await this.fastClaim(job)) ?? await this.engine.transition(job.runId, async (trx, run, def, pending) => {
      const row = await repo.findStep(trx, run.id, job.index);
      if (!row || row.dispatch !== job.dispatch || run.finished_at) return { outcome: 'stale' as const };
      const now = this.engine.now();
      if (row.state === 'queued') {
        if (run.state !== 'running') return { outcome: 'held' as const };
      } else if (row.state === 'running') {
        if (!(await this.safeToRepeat(row.server, row.tool))) {
          await repo.updateStep(trx, run.id, row.index, { state: 'unknown', error: `interrupted during attempt ${row.attempt} (worker stopped or lost its lock); ${row.tool} is not read-only or idempotent, so it is not called again without a decision: retry, skip or fail` });
          await this.engine.setState(trx, run, run.state === 'running' ? 'waiting' : run.state);
          this.d.metrics.stepDuration.observe({ server: row.server, tool: row.tool, outcome: 'interrupted' }, 0);
          this.d.logger.warn({ runId: run.id, step: row.step_id, attempt: row.attempt }, 'workflow step interrupted mid-call: waiting for a decision');
          return { outcome: 'unknown' as const };
        }
        this.d.logger.warn({ runId: run.id, step: row.step_id, attempt: row.attempt }, 'workflow step interrupted mid-call: calling again (read-only or idempotent tool)');
      } else {
        // Recorded already: BullMQ delivers this job again because it failed after the record committed
        // (Redis refused the next step's job). That job is queued again now — the same id, so nothing
        // happens when Redis holds it — and the run goes on without waiting for a worker's start-up.
        const next = run.state === 'running' ? (await repo.stepsOf(trx, run.id)).find((s) => s.state === 'queued') : undefined;
        if (next) pending.push({ runId: run.id, index: next.index, dispatch: next.dispatch });
        return { outcome: 'stale' as const };
      }
      const attempt = row.attempt + 1;
      await repo.updateStep(trx, run.id, row.index, { state: 'running', attempt, started_at: now, error: null });
      const step = def.steps[row.index]!;
      return { outcome: 'claimed' as const, attempt, row, seen: undefined, timeoutMs: step.timeout_ms ?? this.o.defaultTimeoutMs };
    });
    if (claim.outcome !== 'claimed') return claim.outcome;

    // 2. Call (outside any transaction: no row lock is held while a tool runs).
    const { row, attempt } = claim;
    const started = performance.now();
    let result: ToolCallOutcome;
    const entry = this.d.directory.server(row.server);
    try {
      if (!entry) throw new Error(`${row.server} is no longer a registered MCP server`);
      result = await this.clients.callTool(entry, this.d.directory.apiKeyFor(entry), claim.timeoutMs, row.tool, (row.args ?? {}) as Record<string, unknown>);
    } catch (err) {
      result = { isError: true, output: null, message: err instanceof Error ? err.message.split('\n', 1)[0]! : String(err) };
    }
    const durationMs = Math.round(performance.now() - started);

    // 3. Record, then move the run on: in one statement when the run went on undisturbed, else in a
    // transaction holding the run's lock.
    const alone = claim.seen ? await this.recordAlone(claim.seen, row, attempt, result, durationMs) : undefined;
    if (alone) return alone;
    return this.engine.transition(job.runId, (trx, run, def, pending) => this.record(trx, run, def, pending, row, attempt, result, durationMs));
  }

  /** What a call's result makes of its step: the row's new fields, or another attempt after a delay. */
  private resultOf(step: WorkflowStep, attempt: number, result: ToolCallOutcome, durationMs: number, now: Date, mayRetry = true) {
    if (!result.isError) return { outcome: 'succeeded' as const, set: { state: 'succeeded' as const, output: JSON.stringify(result.output ?? null), error: null, finished_at: now, duration_ms: durationMs } };
    const error = (result.message ?? 'the tool failed').slice(0, MAX_ERROR);
    if (mayRetry && attempt < (step.retry?.attempts ?? 1)) return { outcome: 'retrying' as const, error, delayMs: (step.retry?.backoff_ms ?? 1_000) * 2 ** (attempt - 1) };
    return { outcome: 'failed' as const, set: { state: 'failed' as const, output: result.output === null ? null : JSON.stringify(result.output), error, finished_at: now, duration_ms: durationMs } };
  }

  private observe(row: WorkflowStepRow, outcome: 'succeeded' | 'failed' | 'retrying', durationMs: number): void {
    this.d.metrics.stepDuration.observe({ server: row.server, tool: row.tool, outcome: outcome === 'retrying' ? 'failed' : outcome }, durationMs / 1000);
  }

  /** The run's steps after this step's update (its output as Postgres gives it back: parsed JSON). */
  private static after<R extends StepView>(rows: readonly R[], index: number, set: { state: StepState; output: string | null; error: string | null }): R[] {
    return rows.map((r) => (r.index === index ? { ...r, ...set, output: set.output === null ? null : (JSON.parse(set.output) as unknown) } : r));
  }

  /**
   * The common case of recording, without a transaction: the result and the run's next steps (planned
   * from what the claim read) are written in one statement that locks the run and checks that it is
   * still running and the step still in this attempt. Undefined when it wrote nothing (the run was
   * paused, cancelled or decided on meanwhile, or the step is retried): the locked path decides then.
   */
  private async recordAlone(seen: { run: RunView; others: StepView[]; def: WorkflowDefinition; asyncCommit: boolean }, row: WorkflowStepRow, attempt: number, result: ToolCallOutcome, durationMs: number): Promise<StepOutcome | undefined> {
    const now = this.engine.now();
    const r = this.resultOf(seen.def.steps[row.index]!, attempt, result, durationMs, now);
    if (r.outcome === 'retrying') return undefined;
    const plan = await this.engine.plan(seen.run, seen.def, StepRunner.after([...seen.others, row], row.index, r.set), false);
    const written = await repo.recordStep(this.d.db, this.d.prepared, { runId: row.run_id, index: row.index, attempt, set: r.set, asyncCommit: seen.asyncCommit }, plan.inserts, plan.run && { ...plan.run, now });
    if (!written) return undefined;
    this.observe(row, r.outcome, durationMs);
    if (plan.run && FINISHED_RUN_STATES.includes(plan.run.state)) this.engine.finished({ ...seen.run, ...plan.run });
    await this.engine.flush(plan.pending);
    return r.outcome;
  }

  private async record(
    trx: Parameters<Parameters<WorkflowEngine['transition']>[1]>[0],
    run: WorkflowRun,
    def: Parameters<Parameters<WorkflowEngine['transition']>[1]>[2],
    pending: Pending[],
    claimed: WorkflowStepRow,
    attempt: number,
    result: ToolCallOutcome,
    durationMs: number,
  ): Promise<StepOutcome> {
    // The run's steps, read once under the run's lock: this step's row and, for advance, every other.
    const rows = await repo.stepsOf(trx, run.id);
    const row = rows.find((r) => r.index === claimed.index);
    // A result arriving after the step was re-run or decided belongs to nobody.
    if (!row || row.attempt !== attempt || (row.state !== 'running' && row.state !== 'unknown')) return 'discarded';
    // A run that finished meanwhile (cancelled) records the failure instead of retrying.
    const r = this.resultOf(def.steps[row.index]!, attempt, result, durationMs, this.engine.now(), !run.finished_at);
    this.observe(row, r.outcome, durationMs);
    if (r.outcome === 'retrying') {
      await repo.updateStep(trx, run.id, row.index, { state: 'queued', dispatch: row.dispatch + 1, error: r.error, duration_ms: durationMs });
      if (run.state === 'running') pending.push({ runId: run.id, index: row.index, dispatch: row.dispatch + 1, delayMs: r.delayMs });
      return 'retrying';
    }
    if (row.state === 'unknown' && run.state === 'waiting') await this.engine.setState(trx, run, 'running');
    // The result is written with the next step's row (one statement), or alone when there is none.
    await this.engine.advance(trx, run, def, pending, false, StepRunner.after(rows, row.index, r.set), { runId: run.id, index: row.index, set: r.set });
    return r.outcome;
  }

  /**
   * Every WORKFLOW_REQUEUE_INTERVAL_MS on one worker: a step of a running run that Redis holds no live
   * job for is dispatched again — a `queued` one (a decision or resume whose job Redis refused; a job
   * that failed all its attempts) and a `running` one (its job failed all its attempts because the
   * result could not be recorded, or Redis lost it), which its new job then treats as interrupted: called
   * again only when its tool is read-only or idempotent, else `unknown`. Redis is asked first, then the
   * step is checked again under the run's lock and given a new dispatch, so a job of the old dispatch
   * that might still turn up finds itself stale: the step runs once.
   */
  async requeueLost(limit = 1_000): Promise<{ requeued: number }> {
    const queue = this.d.queue;
    if (!queue) return { requeued: 0 };
    let requeued = 0;
    for (const c of await repo.dispatchedSteps(this.d.db, limit)) {
      if (isLive(await queue.stateOf({ runId: c.run_id, index: c.index, dispatch: c.dispatch }))) continue;
      requeued += await this.redispatch(c.run_id, c.index, c.dispatch, (run, row) => run.state === 'running' && row.state === c.state);
    }
    if (requeued) this.d.logger.warn({ requeued }, 'workflow steps without a live job dispatched again');
    return { requeued };
  }

  /** Gives a step whose job is gone a new dispatch (under the run's lock, if it still is as seen): 1 if it did. */
  private redispatch(runId: string, index: number, dispatch: number, still: (run: WorkflowRun, row: WorkflowStepRow) => boolean): Promise<number> {
    return this.engine.transition(runId, async (trx, run, _def, pending) => {
      const row = await repo.findStep(trx, run.id, index);
      if (!row || row.dispatch !== dispatch || !still(run, row)) return 0;
      await repo.updateStep(trx, run.id, index, { dispatch: dispatch + 1 });
      pending.push({ runId: run.id, index, dispatch: dispatch + 1 });
      return 1;
    });
  }

  /**
   * Start-up: every run in flight goes on. A `queued` step is queued again; a `running` step whose job
   * Redis no longer holds as active or waiting was interrupted and gets the crash-safety rule.
   */
  async resumeInFlight(): Promise<{ resumed: number }> {
    const runs = await repo.inFlightRuns(this.d.db);
    let resumed = 0;
    for (const r of runs) {
      if (r.state !== 'running') continue;
      const steps = await repo.stepsOf(this.d.db, r.id);
      const current = steps.find((s) => s.state === 'running');
      if (current && this.d.queue) {
        if (isLive(await this.d.queue.stateOf({ runId: r.id, index: current.index, dispatch: current.dispatch }))) continue;
        // The job is gone: hand the step to a new dispatch, which applies the interruption rule.
        await this.redispatch(r.id, current.index, current.dispatch, (_run, row) => row.state === 'running');
      } else {
        await this.engine.transition(r.id, (trx, run, def, pending) => this.engine.advance(trx, run, def, pending, true));
      }
      resumed++;
    }
    if (resumed) this.d.logger.info({ resumed }, 'workflow runs in flight resumed');
    return { resumed };
  }
}
