// What REST, MCP and the dashboard do with workflows, each written once: save (validated), read,
// delete, and the JSON views of runs and their step timeline.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parseDefinition, parseDefinitionText, type WorkflowDefinition } from './definition.js';
import { validateDefinition } from './definition-validation.js';
import { invalidDefinition, runNotFound, workflowNotFound } from './errors.js';
import * as repo from './repository.js';
import type { WorkflowRun, WorkflowStepRow } from './tables.js';
import type { Workflows } from './workflow-context.js';

/** `{ "yaml": "<text>" }` is an uploaded YAML (or JSON) document; anything else is the definition itself. */
export function definitionFromBody(body: unknown): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 1 && typeof (body as { yaml?: unknown }).yaml === 'string') {
    return parseDefinitionText((body as { yaml: string }).yaml);
  }
  return body;
}

export async function saveWorkflow(w: Workflows, db: Kysely<Database>, raw: unknown, caller: string, now: Date) {
  const def = parseDefinition(raw);
  const problems = await validateDefinition(def, w.directory);
  if (problems.length) throw invalidDefinition(problems);
  const saved = await repo.saveVersion(db, def, caller, now);
  if (w.queue) {
    if (def.schedule) await w.queue.upsertSchedule(def.name, def.schedule.cron, def.schedule.tz);
    else await w.queue.removeSchedule(def.name);
  }
  return { name: saved.name, version: saved.version, created_at: saved.created_at.toISOString(), created_by: caller };
}

export async function deleteWorkflow(w: Workflows, db: Kysely<Database>, name: string, caller: string, now: Date) {
  if (!(await repo.softDelete(db, name, caller, now))) throw workflowNotFound(name);
  await w.queue?.removeSchedule(name);
  return { name, deleted: true, deleted_by: caller };
}

export const workflowJson = (row: Awaited<ReturnType<typeof repo.listWorkflows>>[number]) => ({
  name: row.name,
  description: row.description,
  latest_version: row.latest_version,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
  deleted_at: row.deleted_at?.toISOString() ?? null,
});

export async function getWorkflow(db: Kysely<Database>, name: string, version?: number): Promise<{ workflow: ReturnType<typeof workflowJson>; version: number; definition: WorkflowDefinition; versions: Array<{ version: number; created_at: string; created_by: string }> }> {
  const row = await repo.findWorkflow(db, name);
  if (!row) throw workflowNotFound(name);
  const v = version ?? row.latest_version;
  const found = await repo.findVersion(db, name, v);
  if (!found) throw workflowNotFound(`${name}@${v}`);
  const versions = await repo.listVersions(db, name);
  return {
    workflow: workflowJson(row),
    version: v,
    definition: found.definition,
    versions: versions.map((x) => ({ version: x.version, created_at: x.created_at.toISOString(), created_by: x.created_by })),
  };
}

export const runJson = (r: WorkflowRun) => ({
  id: r.id,
  workflow: r.workflow,
  version: r.version,
  state: r.state,
  input: r.input,
  caller: r.caller,
  trigger: r.trigger,
  error: r.error,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
  finished_at: r.finished_at?.toISOString() ?? null,
});

export const stepJson = (s: WorkflowStepRow) => ({
  index: s.index,
  id: s.step_id,
  server: s.server,
  tool: s.tool,
  state: s.state,
  attempt: s.attempt,
  args: s.args,
  output: s.output,
  error: s.error,
  started_at: s.started_at?.toISOString() ?? null,
  finished_at: s.finished_at?.toISOString() ?? null,
  duration_ms: s.duration_ms,
  decision: s.decision,
  decided_by: s.decided_by,
  decided_at: s.decided_at?.toISOString() ?? null,
});

/** A run with its step timeline; steps not reached yet are listed as `pending` from the pinned definition. */
export async function runDetail(w: Workflows, db: Kysely<Database>, id: string) {
  const run = await repo.findRun(db, id);
  if (!run) throw runNotFound(id);
  const [rows, def] = await Promise.all([repo.stepsOf(db, id), w.engine.definition(db, run.workflow, run.version)]);
  const byIndex = new Map(rows.map((r) => [r.index, r]));
  const steps = def.steps.map((s, index) => {
    const row = byIndex.get(index);
    return row
      ? stepJson(row)
      : { index, id: s.id, server: s.server, tool: s.tool, state: 'pending', attempt: 0, args: null, output: null, error: null, started_at: null, finished_at: null, duration_ms: null, decision: null, decided_by: null, decided_at: null };
  });
  return { ...runJson(run), steps };
}
