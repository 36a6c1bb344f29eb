// A new task-definition revision that differs from an existing one only in one container's image.
import type { RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { BadRequestError } from '@factory/base-server';

/**
 * Every field RegisterTaskDefinition accepts, copied from the described revision. Read-only fields
 * (arn, revision, status, requiresAttributes, compatibilities, registeredAt/By, …) are not accepted by
 * RegisterTaskDefinition and are dropped.
 */
export function registrationInput(td: TaskDefinition, tags: readonly Tag[]): RegisterTaskDefinitionCommandInput {
  const input: RegisterTaskDefinitionCommandInput = {
    family: td.family,
    containerDefinitions: structuredClone(td.containerDefinitions ?? []),
  };
  if (td.taskRoleArn !== undefined) input.taskRoleArn = td.taskRoleArn;
  if (td.executionRoleArn !== undefined) input.executionRoleArn = td.executionRoleArn;
  if (td.networkMode !== undefined) input.networkMode = td.networkMode;
  if (td.volumes !== undefined) input.volumes = structuredClone(td.volumes);
  if (td.placementConstraints !== undefined) input.placementConstraints = structuredClone(td.placementConstraints);
  if (td.requiresCompatibilities !== undefined) input.requiresCompatibilities = [...td.requiresCompatibilities];
  if (td.cpu !== undefined) input.cpu = td.cpu;
  if (td.memory !== undefined) input.memory = td.memory;
  if (td.pidMode !== undefined) input.pidMode = td.pidMode;
  if (td.ipcMode !== undefined) input.ipcMode = td.ipcMode;
  if (td.proxyConfiguration !== undefined) input.proxyConfiguration = structuredClone(td.proxyConfiguration);
  if (td.inferenceAccelerators !== undefined) input.inferenceAccelerators = structuredClone(td.inferenceAccelerators);
  if (td.ephemeralStorage !== undefined) input.ephemeralStorage = structuredClone(td.ephemeralStorage);
  if (td.runtimePlatform !== undefined) input.runtimePlatform = structuredClone(td.runtimePlatform);
  if (td.enableFaultInjection !== undefined) input.enableFaultInjection = td.enableFaultInjection;
  if (tags.length > 0) input.tags = structuredClone([...tags]);
  return input;
}

export interface ImageChange {
  container: string;
  from: string;
  to: string;
}

/** The registration input with `container`'s image replaced; throws when the container is missing or unchanged. */
export function withImage(td: TaskDefinition, tags: readonly Tag[], container: string, image: string): { input: RegisterTaskDefinitionCommandInput; change: ImageChange } {
  const input = registrationInput(td, tags);
  const target = input.containerDefinitions?.find((c) => c.name === container);
  if (!target) {
    const names = (td.containerDefinitions ?? []).map((c) => c.name).join(', ');
    throw new BadRequestError('container_not_found', `Task definition ${td.family}:${td.revision} has no container "${container}"; its containers are: ${names}.`);
  }
  const from = target.image ?? '';
  if (from === image) {
    throw new BadRequestError(
      'image_unchanged',
      `Container "${container}" already runs ${image} in ${td.family}:${td.revision}. Use restart_service to start fresh tasks with the same image.`,
    );
  }
  target.image = image;
  return { input, change: { container, from, to: image } };
}

/** Per-container image differences between two task definitions (for rollback plans). */
export function imageDiff(from: TaskDefinition, to: TaskDefinition): ImageChange[] {
  const target = new Map((to.containerDefinitions ?? []).map((c) => [c.name ?? '', c.image ?? '']));
  const changes: ImageChange[] = [];
  for (const c of from.containerDefinitions ?? []) {
    const name = c.name ?? '';
    const next = target.get(name);
    if (next !== undefined && next !== (c.image ?? '')) changes.push({ container: name, from: c.image ?? '', to: next });
  }
  return changes;
}
