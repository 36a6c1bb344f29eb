// Names and ARNs: tools accept either, outputs use short names ("web:42" for a task definition).
import { BadRequestError } from '@factory/base-server';

/** "arn:aws:ecs:eu-west-1:123:cluster/prod" or "prod" → "prod". */
export function clusterName(ref: string): string {
  return ref.startsWith('arn:') ? (ref.split('/').pop() ?? ref) : ref;
}

/** "arn:…:service/prod/web", "arn:…:service/web" or "web" → "web". */
export function serviceName(ref: string): string {
  return ref.startsWith('arn:') ? (ref.split('/').pop() ?? ref) : ref;
}

/** A task ARN or id → the id. */
export function taskId(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

export interface TaskDefinitionRef {
  family: string;
  revision: number;
}

const TD_REF = /^(?:arn:[^:]+:ecs:[^:]*:\d*:task-definition\/)?([A-Za-z0-9_-]{1,255}):(\d{1,9})$/;

/** Parses "family:revision" or a task-definition ARN; undefined when it is neither. */
export function parseTaskDefinition(ref: string): TaskDefinitionRef | undefined {
  const m = TD_REF.exec(ref.trim());
  if (!m?.[1] || !m[2]) return undefined;
  return { family: m[1], revision: Number(m[2]) };
}

/** Like parseTaskDefinition, but a bad reference is the caller's error. */
export function requireTaskDefinition(ref: string, argument: string): TaskDefinitionRef {
  const parsed = parseTaskDefinition(ref);
  if (!parsed) {
    throw new BadRequestError(
      'invalid_task_definition',
      `${argument} must be "family:revision" (e.g. "web:42") or a task-definition ARN; got "${ref}".`,
    );
  }
  return parsed;
}

/** "family:revision" for an ARN or reference; the input unchanged when it is not one. */
export function shortTaskDefinition(ref: string | undefined): string {
  if (!ref) return '';
  const parsed = parseTaskDefinition(ref);
  return parsed ? `${parsed.family}:${parsed.revision}` : ref;
}
