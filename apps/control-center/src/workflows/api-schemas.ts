// The JSON shapes of workflows on the wire, shared by REST (/openapi.json) and the MCP tools.
import { z } from '@factory/base-server';
import { RUN_STATES } from './tables.js';

export const workflowSummary = z.object({
  name: z.string(),
  description: z.string(),
  latest_version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().nullable(),
});

export const stepView = z.object({
  index: z.number(),
  id: z.string(),
  server: z.string(),
  tool: z.string(),
  state: z.string().describe('pending, queued, running, succeeded, failed, skipped, waiting_approval, unknown (interrupted mid-call: needs retry, skip or fail) or cancelled'),
  attempt: z.number(),
  args: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  decision: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
});

export const runView = z.object({
  id: z.string(),
  workflow: z.string(),
  version: z.number(),
  state: z.enum(RUN_STATES),
  input: z.unknown(),
  caller: z.string(),
  trigger: z.string(),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});

export const runDetailView = runView.extend({ steps: z.array(stepView) });

export const runsQuery = z.object({
  workflow: z.string().max(63).optional(),
  state: z.enum(RUN_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}\.[0-9a-f-]{36}$/, 'a next_cursor from a previous page')
    .optional(),
});

export const runId = z.object({ id: z.uuid('a workflow run id (uuid)') });
export const workflowName = z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a workflow name') });
export const DECISIONS = ['approve', 'retry', 'skip', 'fail'] as const;
export const decisionBody = z.object({
  decision: z.enum(DECISIONS).describe('approve (a step waiting for approval), retry (a step left unknown by an interruption), skip, or fail'),
});
export const startBody = z.object({
  input: z.record(z.string(), z.unknown()).default({}).describe("The run's input, checked against the workflow's input schema"),
  version: z.number().int().min(1).optional().describe('A saved version to run (default: the latest)'),
});
