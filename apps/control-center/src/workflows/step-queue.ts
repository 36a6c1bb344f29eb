// The BullMQ queue `workflow-steps`: one job per step dispatch, scheduled starts (job schedulers) and
// the retention sweep. Jobs carry ids only, never arguments or outputs (those live in Postgres).
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { compositeKey, markDependency, withDeadline, type Logger } from '@factory/base-server';

export const WORKFLOW_QUEUE = 'workflow-steps';

export interface StepJob {
  runId: string;
  index: number;
  dispatch: number;
}
export interface StartJob {
  workflow: string;
}
export type WorkflowJobName = 'step' | 'start' | 'retention' | 'requeue';

const hash = (parts: string[]) => createHash('sha256').update(compositeKey(...parts)).digest('hex').slice(0, 32);
/** Whether a job in this BullMQ state will still run (or is running): not gone, failed or completed. */
export const isLive = (state: string | undefined): boolean => state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children';

/** BullMQ forbids ":" in custom ids, hence a hash of the composite key. */
export const stepJobId = (j: StepJob): string => `wfs-${hash([j.runId, String(j.index), String(j.dispatch)])}`;
const scheduleId = (workflow: string) => `wf-schedule-${hash([workflow])}`;
const RETENTION_ID = 'wf-retention';
const REQUEUE_ID = 'wf-requeue';

const JOB_DEFAULTS: JobsOptions = {
  // Step outcomes are decided by the engine; BullMQ attempts only cover a worker that failed to record
  // one (Postgres down): then the engine sees the step `running` and applies the crash-safety rule.
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
};

export class StepQueue {
  readonly queue: Queue;

  constructor(
    connection: Redis,
    prefix: string,
    logger: Logger,
    private readonly timeoutMs = 3_000,
  ) {
    this.queue = new Queue(WORKFLOW_QUEUE, { connection, prefix, defaultJobOptions: JOB_DEFAULTS });
    this.queue.on('error', (err) => logger.warn({ err: { message: err.message } }, 'workflow queue error'));
  }

  private bounded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    // Any failure here is Redis's (a refusal, a dead connection, or no answer in time): marked so, it
    // reaches a caller as a 503 naming Redis.
    return withDeadline(this.timeoutMs, () => fn(), { message: `Redis did not answer within ${this.timeoutMs} ms (${what})` }).catch((err: unknown) => {
      throw markDependency(err, 'redis');
    });
  }

  async enqueue(jobs: readonly (StepJob & { delayMs?: number })[]): Promise<void> {
    if (jobs.length === 0) return;
    const bulk = jobs.map((j) => ({ name: 'step', data: { runId: j.runId, index: j.index, dispatch: j.dispatch }, opts: { jobId: stepJobId(j), ...(j.delayMs ? { delay: j.delayMs } : {}) } }));
    // One job (the next step: nearly always) is one script call; several (a resume) go in one pipeline.
    const [one] = bulk;
    await this.bounded('enqueue', async () => void (bulk.length === 1 && one ? await this.queue.add(one.name, one.data, one.opts) : await this.queue.addBulk(bulk)));
  }

  /** The BullMQ state of a dispatch's job: undefined when Redis no longer has it. */
  async stateOf(j: StepJob): Promise<string | undefined> {
    const state = await this.bounded('job state', () => this.queue.getJobState(stepJobId(j)));
    return state === 'unknown' ? undefined : state;
  }

  async upsertSchedule(workflow: string, cron: string, tz: string | undefined): Promise<void> {
    await this.bounded('schedule', () => this.queue.upsertJobScheduler(scheduleId(workflow), { pattern: cron, ...(tz ? { tz } : {}) }, { name: 'start', data: { workflow } satisfies StartJob }));
  }

  async removeSchedule(workflow: string): Promise<void> {
    await this.bounded('schedule', () => this.queue.removeJobScheduler(scheduleId(workflow)));
  }

  /**
   * Puts back what the workers' job schedulers should be and Redis does not hold (lost with Redis's
   * data, or never written because Redis refused a save's): every scheduled workflow's cron (`wanted`,
   * from Postgres), the retention sweep and the requeue sweep. A scheduler already as wanted is left
   * alone, so its next run is not moved. The sweeps' intervals are this worker's settings, which may
   * differ from another's during a rolling deploy: they are set when missing, or at start-up
   * (`startUp`: the last worker started wins), never flipped back and forth. Nothing is removed here:
   * a start job of a workflow deleted or no longer scheduled removes its own scheduler when it fires.
   */
  async keepSchedules(wanted: readonly { workflow: string; cron: string; tz: string | undefined }[], every: { retentionMs: number; requeueMs: number }, startUp = false): Promise<number> {
    const present = new Map((await this.bounded('schedules', () => this.queue.getJobSchedulers(0, -1))).map((j) => [j.key, j]));
    let put = 0;
    for (const w of wanted) {
      const p = present.get(scheduleId(w.workflow));
      if (p && p.pattern === w.cron && (p.tz ?? undefined) === w.tz) continue;
      await this.upsertSchedule(w.workflow, w.cron, w.tz);
      put++;
    }
    const stale = (id: string, ms: number) => !present.has(id) || (startUp && present.get(id)?.every !== ms);
    if (stale(RETENTION_ID, every.retentionMs)) {
      await this.scheduleRetention(every.retentionMs);
      put++;
    }
    if (stale(REQUEUE_ID, every.requeueMs)) {
      await this.scheduleRequeue(every.requeueMs);
      put++;
    }
    return put;
  }

  /** One retention sweep every `everyMs` across all workers (a job scheduler: never twice at once). */
  async scheduleRetention(everyMs: number): Promise<void> {
    await this.bounded('retention schedule', () => this.queue.upsertJobScheduler(RETENTION_ID, { every: everyMs }, { name: 'retention', data: {} }));
  }

  /** One look for queued steps without a job (StepRunner.requeueLost) every `everyMs` across all workers. */
  async scheduleRequeue(everyMs: number): Promise<void> {
    await this.bounded('requeue schedule', () => this.queue.upsertJobScheduler(REQUEUE_ID, { every: everyMs }, { name: 'requeue', data: {} }));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
