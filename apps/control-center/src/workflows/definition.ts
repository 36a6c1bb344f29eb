// A workflow definition: JSON (YAML accepted on upload), checked by zod. Structure only: catalog,
// argument and expression checks live in definition-validation.ts.
import { parse as parseYaml } from 'yaml';
import { z } from '@factory/base-server';
import { invalidDefinition, type DefinitionProblem } from './errors.js';

export const WORKFLOW_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const STEP_ID = /^[a-z][a-z0-9_]{0,62}$/;

export const stepSchema = z
  .object({
    id: z.string().regex(STEP_ID, 'step ids are lower-case letters, digits and underscores, starting with a letter').describe('Unique within the workflow; later expressions read its output as steps.<id>'),
    name: z.string().max(200).optional(),
    server: z.string().min(1).max(63).describe('A registered server, e.g. "deploy-mcp"'),
    tool: z.string().min(1).max(128).describe('A tool of that server, e.g. "describe_service"'),
    args: z
      .union([z.record(z.string(), z.unknown()), z.string()])
      .default({})
      .describe('Arguments: literal JSON, where any string of the form "{% expr %}" is a JSONata expression over {input, steps, run}; or one expression for the whole object'),
    when: z.string().max(2_000).optional().describe('A JSONata condition ("{% expr %}" or a bare expression); the step is skipped when it is false'),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(10).default(1).describe('Calls in all, the first included'),
        backoff_ms: z.number().int().min(0).max(3_600_000).default(1_000).describe('Wait before the 2nd call; doubled for each further one'),
      })
      .optional(),
    timeout_ms: z.number().int().min(100).max(3_600_000).optional().describe('Longest wait for the tool call (default WORKFLOW_STEP_TIMEOUT_MS)'),
    approval: z.boolean().optional().describe('Whether an operator must approve the step first; default: true for tools annotated destructiveHint'),
    on_error: z.enum(['fail', 'continue']).default('fail').describe('fail: the run fails; continue: the step is recorded as failed and the run goes on'),
  })
  .strict();

export const definitionSchema = z
  .object({
    name: z.string().regex(WORKFLOW_NAME, 'workflow names are lower-case letters, digits and dashes'),
    description: z.string().max(2_000).default(''),
    input: z.record(z.string(), z.unknown()).default({ type: 'object' }).describe('JSON schema of the run input'),
    steps: z.array(stepSchema).min(1).max(100),
    schedule: z
      .object({
        cron: z.string().min(9).max(100).describe('A cron pattern (5 or 6 fields), e.g. "0 * * * *"'),
        tz: z.string().max(64).optional(),
        input: z.record(z.string(), z.unknown()).default({}),
      })
      .strict()
      .optional()
      .describe('Start a run on this schedule (BullMQ job scheduler)'),
  })
  .strict();

export type WorkflowDefinition = z.output<typeof definitionSchema>;
export type WorkflowStep = WorkflowDefinition['steps'][number];

const zodPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '') || '(root)';

/** Parses the structure; throws invalid_workflow_definition with every problem's path. */
export function parseDefinition(raw: unknown): WorkflowDefinition {
  const r = definitionSchema.safeParse(raw);
  if (!r.success) throw invalidDefinition(r.error.issues.map((i): DefinitionProblem => ({ path: zodPath(i.path), message: i.message })));
  const problems: DefinitionProblem[] = [];
  const seen = new Map<string, number>();
  r.data.steps.forEach((s, i) => {
    const first = seen.get(s.id);
    if (first !== undefined) problems.push({ path: `steps[${i}].id`, message: `duplicate step id "${s.id}" (also steps[${first}])` });
    else seen.set(s.id, i);
  });
  if (problems.length) throw invalidDefinition(problems);
  return r.data;
}

/** A definition uploaded as text: JSON, or YAML (a superset of JSON) when the content type says so or JSON fails. */
export function parseDefinitionText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text, { maxAliasCount: 50 });
    } catch (err) {
      throw invalidDefinition([{ path: '(root)', message: `neither JSON nor YAML: ${err instanceof Error ? err.message.split('\n', 1)[0] : 'unreadable'}` }]);
    }
  }
}
