// Prometheus metrics of workflows: runs by outcome, steps by server/tool/outcome, and two gauges read
// from Postgres at scrape time (bounded: a slow database leaves the last value).
import { Counter, Gauge, Histogram, withDeadline, type Registry } from '@factory/base-server';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { gaugeCounts } from './repository.js';

export interface WorkflowMetrics {
  runsTotal: Counter<'workflow' | 'outcome'>;
  stepDuration: Histogram<'server' | 'tool' | 'outcome'>;
}

export function createWorkflowMetrics(registry: Registry, db: Kysely<Database>): WorkflowMetrics {
  let last = { active: 0, waiting: 0 };
  let pending: Promise<void> | undefined;
  const refresh = () =>
    (pending ??= withDeadline(1_000, () => gaugeCounts(db), { message: 'postgres did not answer' })
      .then((c) => void (last = c))
      .catch(() => undefined)
      .finally(() => (pending = undefined)));
  new Gauge({
    name: 'workflow_runs_active',
    help: 'Workflow runs not finished (running, paused or waiting for a decision)',
    registers: [registry],
    async collect() {
      await refresh();
      this.set(last.active);
    },
  });
  new Gauge({
    name: 'workflow_steps_waiting_decision',
    help: 'Workflow steps waiting for an approval or for a decision after an interruption',
    registers: [registry],
    async collect() {
      await refresh();
      this.set(last.waiting);
    },
  });
  return {
    runsTotal: new Counter({ name: 'workflow_runs_total', help: 'Finished workflow runs by outcome (succeeded, failed, cancelled)', labelNames: ['workflow', 'outcome'], registers: [registry] }),
    stepDuration: new Histogram({
      name: 'workflow_step_duration_seconds',
      help: 'Duration of workflow step tool calls by outcome (succeeded, failed, interrupted)',
      labelNames: ['server', 'tool', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
