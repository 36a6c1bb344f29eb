// REST routes of workflows: definitions with versions, runs (start, list, detail with the step
// timeline, cancel, pause, resume) and decisions. Validated by zod, documented in /openapi.json.
import type { Kysely } from 'kysely';
import { z, type RestApi } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import { decisionBody, runDetailView, runId, runsQuery, runView, startBody, stepView, workflowName, workflowSummary } from './api-schemas.js';
import * as repo from './repository.js';
import type { Workflows } from './workflow-context.js';
import { definitionFromBody, deleteWorkflow, getWorkflow, runDetail, runJson, saveWorkflow, stepJson, workflowJson } from './workflow-service.js';

const caller = (req: { principal?: { keyName: string } | undefined }) => req.principal?.keyName ?? 'anonymous';
const tags = ['workflows'];

export function registerWorkflowRoutes(api: RestApi, w: Workflows, db: Kysely<Database>, now: () => Date): void {
  api.route({
    method: 'get',
    path: '/api/workflows',
    summary: 'List workflows',
    tags,
    query: z.object({ include_deleted: z.enum(['true', 'false']).default('false') }),
    response: z.object({ workflows: z.array(workflowSummary) }),
    handler: async ({ query }) => ({ workflows: (await repo.listWorkflows(db, query.include_deleted === 'true')).map(workflowJson) }),
  });
  api.route({
    method: 'post',
    path: '/api/workflows',
    summary: 'Save a workflow definition (a new immutable version)',
    description: 'The body is the definition as JSON, or {"yaml": "<document>"}. Servers, tools, literal arguments and expressions are checked; 400 lists the path of each problem.',
    tags,
    status: 201,
    body: z.record(z.string(), z.unknown()),
    response: z.object({ name: z.string(), version: z.number(), created_at: z.string(), created_by: z.string() }),
    handler: async ({ body }, req) => saveWorkflow(w, db, definitionFromBody(body), caller(req), now()),
  });
  api.route({
    method: 'get',
    path: '/api/workflows/:name',
    summary: 'A workflow: its latest definition and its versions',
    tags,
    params: workflowName,
    query: z.object({ version: z.coerce.number().int().min(1).optional() }),
    handler: async ({ params, query }) => getWorkflow(db, params.name, query.version),
  });
  api.route({
    method: 'delete',
    path: '/api/workflows/:name',
    summary: 'Delete a workflow (soft: its versions and runs stay readable)',
    tags,
    params: workflowName,
    handler: async ({ params }, req) => deleteWorkflow(w, db, params.name, caller(req), now()),
  });
  api.route({
    method: 'post',
    path: '/api/workflows/:name/runs',
    summary: 'Start a run',
    tags,
    status: 201,
    params: workflowName,
    body: startBody,
    response: runView,
    handler: async ({ params, body }, req) => runJson(await w.engine.start(params.name, body.input, caller(req), 'rest', body.version)),
  });
  api.route({
    method: 'get',
    path: '/api/workflow-runs',
    summary: 'List runs, newest first',
    tags,
    query: runsQuery,
    response: z.object({ runs: z.array(runView), next_cursor: z.string().nullable() }),
    handler: async ({ query }) => {
      const page = await repo.listRuns(db, query);
      return { runs: page.runs.map(runJson), next_cursor: page.next_cursor };
    },
  });
  api.route({
    method: 'get',
    path: '/api/workflow-runs/:id',
    summary: 'A run with its step timeline',
    tags,
    params: runId,
    response: runDetailView,
    handler: async ({ params }) => runDetail(w, db, params.id),
  });
  for (const action of ['cancel', 'pause', 'resume'] as const) {
    api.route({
      method: 'post',
      path: `/api/workflow-runs/:id/${action}`,
      summary: `${action[0]!.toUpperCase()}${action.slice(1)} a run`,
      tags,
      params: runId,
      response: runView,
      handler: async ({ params }, req) => runJson(await w.engine[action](params.id, caller(req))),
    });
  }
  api.route({
    method: 'post',
    path: '/api/workflow-runs/:id/steps/:step/decision',
    summary: 'Decide a step that waits: approve, retry, skip or fail',
    tags,
    params: runId.extend({ step: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a step id') }),
    body: decisionBody,
    response: stepView,
    handler: async ({ params, body }, req) => stepJson(await w.engine.decide(params.id, params.step, body.decision, caller(req))),
  });
}
