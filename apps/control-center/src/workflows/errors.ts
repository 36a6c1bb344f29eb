// Stable error codes of the workflow feature, in one place (mapped to HTTP and MCP at the boundary).
import { BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError } from '@factory/base-server';

export interface DefinitionProblem {
  /** Where in the definition, e.g. `steps[2].args.cluster`. */
  path: string;
  message: string;
}

export const invalidDefinition = (problems: readonly DefinitionProblem[]) =>
  new BadRequestError(
    'invalid_workflow_definition',
    `The workflow definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems
      .slice(0, 10)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ')}`,
    { details: { problems } },
  );

export const workflowNotFound = (name: string) => new NotFoundError('workflow_not_found', `No workflow is named "${name}"; list_workflows shows the ones there are.`);
export const versionNotFound = (name: string, version: number) => new NotFoundError('workflow_version_not_found', `Workflow "${name}" has no version ${version}.`);
export const runNotFound = (id: string) => new NotFoundError('workflow_run_not_found', `No workflow run has id ${id}.`);
export const invalidInput = (problems: readonly DefinitionProblem[]) =>
  new BadRequestError('invalid_workflow_input', `The run's input does not match the workflow's input schema: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
    details: { problems },
  });
export const runStateConflict = (id: string, state: string, wanted: string) =>
  new ConflictError('workflow_run_state_conflict', `Run ${id} is ${state}; it cannot be ${wanted} now.`, { details: { state } });
export const noDecisionPending = (id: string, step: string) =>
  new ConflictError('workflow_step_not_waiting', `Step "${step}" of run ${id} is not waiting for a decision.`);
export const decisionNotAllowed = (step: string, state: string, decision: string) =>
  new BadRequestError('workflow_decision_not_allowed', `Step "${step}" is ${state}: the decision "${decision}" does not apply (${state === 'waiting_approval' ? 'approve, skip or fail' : 'retry, skip or fail'}).`);
export const queueNotConfigured = () =>
  new ServiceUnavailableError('workflow_queue_not_configured', 'Workflows run on the Redis queue workflow-steps: set REDIS_URL on the control center and its workflow worker.', {
    retryable: false,
  });
export const serverUnreachable = (server: string, message: string) =>
  new ServiceUnavailableError('workflow_server_unreachable', `The tool list of ${server} could not be read to check the definition (${message}); retry once it answers.`, {
    headers: { 'Retry-After': '10' },
  });
