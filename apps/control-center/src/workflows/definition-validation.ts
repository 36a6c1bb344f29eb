// Everything a save checks beyond the structure: servers and tools against the live tool lists, the
// literal arguments against each tool's input schema, every expression's syntax, the input schema.
import type { WorkflowDefinition } from './definition.js';
import { serverUnreachable, type DefinitionProblem } from './errors.js';
import { checkExpression, conditionSource, expressionsIn, ExpressionError, templateOf } from './expressions.js';
import { checkAgainst, validatorFor } from './schema-check.js';
import type { ToolDirectory } from './tool-directory.js';

const within = (path: string, prefixes: readonly string[]) => prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));

/** Every problem with its path; throws serverUnreachable when a referenced server cannot be asked. */
export async function validateDefinition(def: WorkflowDefinition, directory: ToolDirectory): Promise<DefinitionProblem[]> {
  const problems: DefinitionProblem[] = [];
  const inputValidator = validatorFor(def.input);
  if (typeof inputValidator === 'string') problems.push({ path: 'input', message: `not a valid JSON schema: ${inputValidator}` });
  if (def.schedule && typeof inputValidator !== 'string' && !inputValidator(def.schedule.input)) {
    problems.push(...checkAgainst(def.input, def.schedule.input, 'schedule.input'));
  }

  for (const [i, step] of def.steps.entries()) {
    const at = `steps[${i}]`;
    const expressions = expressionsIn(step.args, `${at}.args`);
    if (step.when !== undefined) expressions.push({ source: conditionSource(step.when), path: `${at}.when` });
    for (const e of expressions) {
      try {
        checkExpression(e.source, e.path);
      } catch (err) {
        problems.push({ path: e.path, message: err instanceof ExpressionError ? err.message : 'bad expression' });
      }
    }

    const server = directory.server(step.server);
    if (!server) {
      problems.push({ path: `${at}.server`, message: `unknown server "${step.server}"; registered MCP servers: ${directory.serverNames.join(', ') || 'none'}` });
      continue;
    }
    let tools;
    try {
      tools = await directory.tools(step.server);
    } catch (err) {
      throw serverUnreachable(step.server, err instanceof Error ? err.message.slice(0, 200) : 'no answer');
    }
    const tool = tools.get(step.tool);
    if (!tool) {
      problems.push({ path: `${at}.tool`, message: `${step.server} has no tool "${step.tool}"` });
      continue;
    }
    // Arguments given as one expression are known only when the step runs; the tool checks them then.
    if (templateOf(step.args) !== undefined || typeof step.args !== 'object') continue;
    const computed = expressions.filter((e) => e.path.startsWith(`${at}.args`)).map((e) => e.path);
    for (const p of checkAgainst(tool.inputSchema, step.args, `${at}.args`)) {
      if (!within(p.path, computed)) problems.push(p);
    }
  }
  return problems;
}
