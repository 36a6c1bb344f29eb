// Trimmed shapes of ECS objects for tool outputs: what an agent needs, nothing more.
import type { Container, ContainerDefinition, Deployment, Service, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import { z } from '@factory/base-server';
import { clusterName, shortTaskDefinition, taskId } from './names.js';

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

export const deploymentSchema = z.object({
  id: z.string(),
  status: z.string().describe('PRIMARY (the newest), ACTIVE (being replaced) or INACTIVE'),
  task_definition: z.string(),
  desired: z.number(),
  running: z.number(),
  pending: z.number(),
  failed_tasks: z.number(),
  rollout_state: z.string().nullable().describe('IN_PROGRESS, COMPLETED or FAILED (null for non-ECS deployment controllers)'),
  rollout_state_reason: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type DeploymentSummary = z.infer<typeof deploymentSchema>;

export function summariseDeployment(d: Deployment): DeploymentSummary {
  return {
    id: d.id ?? '',
    status: d.status ?? 'UNKNOWN',
    task_definition: shortTaskDefinition(d.taskDefinition),
    desired: d.desiredCount ?? 0,
    running: d.runningCount ?? 0,
    pending: d.pendingCount ?? 0,
    failed_tasks: d.failedTasks ?? 0,
    rollout_state: d.rolloutState ?? null,
    rollout_state_reason: d.rolloutStateReason ?? null,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

export const serviceSummarySchema = z.object({
  name: z.string(),
  status: z.string(),
  task_definition: z.string().describe('family:revision the service is set to run'),
  desired: z.number(),
  running: z.number(),
  pending: z.number(),
  launch_type: z.string().nullable(),
  rollout_state: z.string().nullable().describe('rollout state of the PRIMARY deployment'),
  deployments: z.number().describe('number of deployments; more than 1 means a rollout is under way'),
});
export type ServiceSummary = z.infer<typeof serviceSummarySchema>;

export const primaryDeployment = (s: Service): Deployment | undefined => s.deployments?.find((d) => d.status === 'PRIMARY') ?? s.deployments?.[0];

export function summariseService(s: Service): ServiceSummary {
  return {
    name: s.serviceName ?? '',
    status: s.status ?? 'UNKNOWN',
    task_definition: shortTaskDefinition(s.taskDefinition),
    desired: s.desiredCount ?? 0,
    running: s.runningCount ?? 0,
    pending: s.pendingCount ?? 0,
    launch_type: s.launchType ?? (s.capacityProviderStrategy?.length ? 'CAPACITY_PROVIDER' : null),
    rollout_state: primaryDeployment(s)?.rolloutState ?? null,
    deployments: s.deployments?.length ?? 0,
  };
}

export const circuitBreakerSchema = z.object({
  enabled: z.boolean(),
  rollback: z.boolean().describe('whether ECS rolls back by itself when the breaker trips'),
});

export function circuitBreaker(s: Service): z.infer<typeof circuitBreakerSchema> {
  const cb = s.deploymentConfiguration?.deploymentCircuitBreaker;
  return { enabled: cb?.enable ?? false, rollback: cb?.rollback ?? false };
}

/** Stable: one deployment, it completed (or has no rollout state), running equals desired, nothing pending. */
export function isStable(s: Service): boolean {
  const deployments = s.deployments ?? [];
  const primary = primaryDeployment(s);
  return (
    deployments.length === 1 &&
    primary !== undefined &&
    (primary.rolloutState === undefined || primary.rolloutState === 'COMPLETED') &&
    (s.runningCount ?? 0) === (s.desiredCount ?? 0) &&
    (s.pendingCount ?? 0) === 0
  );
}

/** A deployment the circuit breaker failed (ECS marks it FAILED with a circuit-breaker reason). */
export function trippedDeployment(s: Service): Deployment | undefined {
  return s.deployments?.find((d) => d.rolloutState === 'FAILED' && /circuit breaker/i.test(d.rolloutStateReason ?? ''));
}

export const containerStateSchema = z.object({
  name: z.string(),
  image: z.string().nullable(),
  last_status: z.string().nullable(),
  exit_code: z.number().nullable(),
  reason: z.string().nullable(),
  health: z.string().nullable(),
});

function summariseContainer(c: Container): z.infer<typeof containerStateSchema> {
  return {
    name: c.name ?? '',
    image: c.image ?? null,
    last_status: c.lastStatus ?? null,
    exit_code: c.exitCode ?? null,
    reason: c.reason ?? null,
    health: c.healthStatus ?? null,
  };
}

export const taskSummarySchema = z.object({
  id: z.string(),
  task_definition: z.string(),
  last_status: z.string().nullable(),
  desired_status: z.string().nullable(),
  health: z.string().nullable(),
  started_at: z.string().nullable(),
  stopped_at: z.string().nullable(),
  stop_code: z.string().nullable(),
  stopped_reason: z.string().nullable(),
  availability_zone: z.string().nullable(),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;

export function summariseTask(t: Task): TaskSummary {
  return {
    id: taskId(t.taskArn ?? ''),
    task_definition: shortTaskDefinition(t.taskDefinitionArn),
    last_status: t.lastStatus ?? null,
    desired_status: t.desiredStatus ?? null,
    health: t.healthStatus ?? null,
    started_at: iso(t.startedAt),
    stopped_at: iso(t.stoppedAt),
    stop_code: t.stopCode ?? null,
    stopped_reason: t.stoppedReason ?? null,
    availability_zone: t.availabilityZone ?? null,
  };
}

export const taskDetailSchema = taskSummarySchema.extend({
  cluster: z.string(),
  group: z.string().nullable().describe('"service:<name>" for tasks a service started'),
  launch_type: z.string().nullable(),
  cpu: z.string().nullable(),
  memory: z.string().nullable(),
  created_at: z.string().nullable(),
  stopping_at: z.string().nullable(),
  containers: z.array(containerStateSchema),
});

export function detailTask(t: Task): z.infer<typeof taskDetailSchema> {
  return {
    ...summariseTask(t),
    cluster: clusterName(t.clusterArn ?? ''),
    group: t.group ?? null,
    launch_type: t.launchType ?? null,
    cpu: t.cpu ?? null,
    memory: t.memory ?? null,
    created_at: iso(t.createdAt),
    stopping_at: iso(t.stoppingAt),
    containers: (t.containers ?? []).map(summariseContainer),
  };
}

export { summariseContainer };

export const containerDefinitionSchema = z.object({
  name: z.string(),
  image: z.string(),
  essential: z.boolean(),
  cpu: z.number().nullable(),
  memory: z.number().nullable(),
  port_mappings: z.array(z.object({ container_port: z.number().nullable(), protocol: z.string().nullable() })),
  environment_names: z.array(z.string()).describe('names only; values are not returned'),
  secret_names: z.array(z.string()),
  log_driver: z.string().nullable(),
  health_check: z.array(z.string()).nullable(),
});

function summariseContainerDefinition(c: ContainerDefinition): z.infer<typeof containerDefinitionSchema> {
  return {
    name: c.name ?? '',
    image: c.image ?? '',
    essential: c.essential ?? true,
    cpu: c.cpu ?? null,
    memory: c.memory ?? c.memoryReservation ?? null,
    port_mappings: (c.portMappings ?? []).map((p) => ({ container_port: p.containerPort ?? null, protocol: p.protocol ?? null })),
    environment_names: (c.environment ?? []).map((e) => e.name ?? '').filter(Boolean),
    secret_names: (c.secrets ?? []).map((e) => e.name ?? '').filter(Boolean),
    log_driver: c.logConfiguration?.logDriver ?? null,
    health_check: c.healthCheck?.command ?? null,
  };
}

export const taskDefinitionSchema = z.object({
  task_definition: z.string(),
  arn: z.string(),
  family: z.string(),
  revision: z.number(),
  status: z.string(),
  cpu: z.string().nullable(),
  memory: z.string().nullable(),
  network_mode: z.string().nullable(),
  requires_compatibilities: z.array(z.string()),
  task_role_arn: z.string().nullable(),
  execution_role_arn: z.string().nullable(),
  registered_at: z.string().nullable(),
  containers: z.array(containerDefinitionSchema),
});

export function summariseTaskDefinition(td: TaskDefinition): z.infer<typeof taskDefinitionSchema> {
  return {
    task_definition: shortTaskDefinition(td.taskDefinitionArn),
    arn: td.taskDefinitionArn ?? '',
    family: td.family ?? '',
    revision: td.revision ?? 0,
    status: td.status ?? 'UNKNOWN',
    cpu: td.cpu ?? null,
    memory: td.memory ?? null,
    network_mode: td.networkMode ?? null,
    requires_compatibilities: td.requiresCompatibilities ?? [],
    task_role_arn: td.taskRoleArn ?? null,
    execution_role_arn: td.executionRoleArn ?? null,
    registered_at: iso(td.registeredAt),
    containers: (td.containerDefinitions ?? []).map(summariseContainerDefinition),
  };
}
