// MCP tools of workflows, so an agent can run a vetted procedure instead of improvising one.
import type { Kysely } from 'kysely';
import { defineTool, z } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import { DECISIONS, runDetailView, runView, stepView, workflowSummary } from './api-schemas.js';
import * as repo from './repository.js';
import { RUN_STATES } from './tables.js';
import type { Workflows } from './workflow-context.js';
import { getWorkflow, runDetail, runJson, stepJson, workflowJson } from './workflow-service.js';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).describe('The workflow name, as list_workflows shows it');
const runIdArg = z.uuid().describe('The run id that start_workflow or list_workflow_runs returned');

export function workflowTools(w: Workflows, db: Kysely<Database>) {
  const listWorkflows = defineTool({
    name: 'list_workflows',
    title: 'List workflows',
    description: 'Lists the vetted workflows (runbooks of MCP tool calls across the Factory servers) that can be started, with description and latest version. Use it to find a procedure before doing the steps by hand; get_workflow shows its steps and input.',
    inputSchema: z.object({}),
    outputSchema: z.object({ workflows: z.array(workflowSummary) }),
    annotations: READ,
    handler: async () => ({ workflows: (await repo.listWorkflows(db)).map(workflowJson) }),
    text: (o) => o.workflows.map((x) => `${x.name} v${x.latest_version}: ${x.description}`).join('\n') || 'No workflows are defined.',
  });

  const getWorkflowTool = defineTool({
    name: 'get_workflow',
    title: 'Get a workflow',
    description: "Returns a workflow's definition: its input JSON schema (what start_workflow needs) and its ordered steps (server, tool, arguments, conditions, approvals), plus its saved versions. Omit version for the latest.",
    inputSchema: z.object({ name, version: z.number().int().min(1).optional().describe('A saved version (default: the latest)') }),
    outputSchema: z.object({ workflow: workflowSummary, version: z.number(), definition: z.record(z.string(), z.unknown()), versions: z.array(z.object({ version: z.number(), created_at: z.string(), created_by: z.string() })) }),
    annotations: READ,
    handler: async (a) => getWorkflow(db, a.name, a.version),
  });

  const startWorkflow = defineTool({
    name: 'start_workflow',
    title: 'Start a workflow run',
    description:
      "Starts a run of a saved workflow with the given input (checked against the workflow's input schema) and returns the run at once; steps run on the control center's worker. Steps whose tools are destructive wait for an operator's approval. Follow the run with get_workflow_run.",
    inputSchema: z.object({ name, input: z.record(z.string(), z.unknown()).default({}).describe("The run's input, as get_workflow's input schema describes"), version: z.number().int().min(1).optional().describe('A saved version (default: the latest)') }),
    outputSchema: runView,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async (a, ctx) => runJson(await w.engine.start(a.name, a.input, ctx.principal.keyName, 'mcp', a.version)),
    text: (r) => `Started run ${r.id} of ${r.workflow} v${r.version}: ${r.state}.`,
  });

  const getRun = defineTool({
    name: 'get_workflow_run',
    title: 'Get a workflow run',
    description: "Returns a run's state (running, paused, waiting, succeeded, failed, cancelled) and its step timeline: each step's state, arguments, output, error and duration. A step in waiting_approval or unknown needs decide_workflow_step.",
    inputSchema: z.object({ run_id: runIdArg }),
    outputSchema: runDetailView,
    annotations: READ,
    handler: async (a) => runDetail(w, db, a.run_id),
    text: (r) => `Run ${r.id} (${r.workflow} v${r.version}) is ${r.state}. ${r.steps.map((s) => `${s.id}: ${s.state}`).join(', ')}`,
  });

  const listRuns = defineTool({
    name: 'list_workflow_runs',
    title: 'List workflow runs',
    description: 'Lists workflow runs, newest first, optionally of one workflow or in one state ("waiting" finds runs that need a decision). Pass next_cursor as cursor for older runs.',
    inputSchema: z.object({
      workflow: z.string().max(63).optional(),
      state: z.enum(RUN_STATES).optional(),
      limit: z.number().int().min(1).max(50).default(20),
      cursor: z.string().max(60).optional().describe('next_cursor from a previous call'),
    }),
    outputSchema: z.object({ runs: z.array(runView), next_cursor: z.string().nullable() }),
    annotations: READ,
    handler: async (a) => {
      const page = await repo.listRuns(db, a);
      return { runs: page.runs.map(runJson), next_cursor: page.next_cursor };
    },
  });

  const decide = defineTool({
    name: 'decide_workflow_step',
    title: 'Decide a waiting workflow step',
    description:
      'Answers a step that waits for a person: "approve" a step waiting for approval, "retry" a step left unknown because it was interrupted mid-call (its tool may or may not have acted: check first), "skip" it, or "fail" the run. The decision is recorded with your identity.',
    inputSchema: z.object({ run_id: runIdArg, step: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).describe('The step id'), decision: z.enum(DECISIONS) }),
    outputSchema: stepView,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async (a, ctx) => stepJson(await w.engine.decide(a.run_id, a.step, a.decision, ctx.principal.keyName)),
    text: (s) => `Step ${s.id} is now ${s.state} (${s.decision ?? ''} by ${s.decided_by ?? ''}).`,
  });

  const cancel = defineTool({
    name: 'cancel_workflow_run',
    title: 'Cancel a workflow run',
    description: 'Cancels a run that has not finished: no further step starts (a step already calling its tool finishes, and its result is recorded). Cannot be undone.',
    inputSchema: z.object({ run_id: runIdArg }),
    outputSchema: runView,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async (a, ctx) => runJson(await w.engine.cancel(a.run_id, ctx.principal.keyName)),
    text: (r) => `Run ${r.id} is ${r.state}.`,
  });

  return [listWorkflows, getWorkflowTool, startWorkflow, getRun, listRuns, decide, cancel];
}
