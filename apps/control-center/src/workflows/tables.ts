// Typed tables of workflows: definitions (one row per workflow, immutable versions beside it), runs
// pinned to a version, and one row per step of a run that was reached.
import type { ColumnType, Selectable } from 'kysely';
import type { WorkflowDefinition } from './definition.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export interface WorkflowsTable {
  name: string;
  latest_version: number;
  description: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Soft delete: the workflow is hidden and cannot start; its versions and runs stay readable. */
  deleted_at: NullableTimestamp;
  deleted_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface WorkflowVersionsTable {
  workflow: string;
  version: number;
  definition: Json<WorkflowDefinition>;
  created_at: Timestamp;
  created_by: string;
}

export const RUN_STATES = ['running', 'paused', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINISHED_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];

export interface WorkflowRunsTable {
  id: string;
  workflow: string;
  version: number;
  state: RunState;
  input: Json<unknown>;
  /** Who started it: an API key name, an OAuth subject, or `schedule`. */
  caller: string;
  trigger: 'rest' | 'mcp' | 'dashboard' | 'schedule';
  error: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: NullableTimestamp;
}

export const STEP_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'waiting_approval', 'unknown', 'cancelled'] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface WorkflowStepsTable {
  run_id: string;
  index: number;
  step_id: string;
  server: string;
  tool: string;
  state: StepState;
  /** Tool calls started (retries and re-runs after an interruption included). */
  attempt: number;
  /** Times the step was put on the queue; a job carrying an older number is stale and does nothing. */
  dispatch: number;
  args: NullableJson<unknown>;
  output: NullableJson<unknown>;
  error: ColumnType<string | null, string | null | undefined, string | null>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /** The operator's decision on an approval or an interrupted step, and who made it. */
  decision: ColumnType<string | null, string | null | undefined, string | null>;
  decided_by: ColumnType<string | null, string | null | undefined, string | null>;
  decided_at: NullableTimestamp;
  duration_ms: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WorkflowTables {
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_steps: WorkflowStepsTable;
}

export type WorkflowRow = Selectable<WorkflowsTable>;
export type WorkflowRun = Selectable<WorkflowRunsTable>;
export type WorkflowStepRow = Selectable<WorkflowStepsTable>;
