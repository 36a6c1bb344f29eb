// Read tools: always registered, never change anything.
import { NotFoundError, defineTool, z, type AnyTool } from '@factory/base-server';
import { clusterName, serviceName, shortTaskDefinition, taskId } from '../ecs/names.js';
import {
  circuitBreaker,
  circuitBreakerSchema,
  deploymentSchema,
  detailTask,
  isStable,
  primaryDeployment,
  serviceSummarySchema,
  summariseDeployment,
  summariseService,
  summariseTask,
  summariseTaskDefinition,
  taskDefinitionSchema,
  taskDetailSchema,
  taskSummarySchema,
  trippedDeployment,
} from '../ecs/summaries.js';
import { READ, type DeployContext } from './deploy-context.js';

const name = z.string().min(1).max(1600);
export const clusterArg = name.describe('Cluster name or ARN');
export const serviceArg = name.describe('Service name or ARN');

export function readTools(ctx: DeployContext): AnyTool[] {
  const { ecs } = ctx;

  const listClusters = defineTool({
    name: 'list_clusters',
    title: 'List ECS clusters',
    description:
      'Lists the ECS clusters in the account and region deploy-mcp runs against, with their status and how many services and tasks each runs. Start here when you do not know the cluster name.',
    inputSchema: z.object({ limit: z.number().int().min(1).max(100).default(50).describe('Most clusters to return') }),
    outputSchema: z.object({
      clusters: z.array(
        z.object({ name: z.string(), status: z.string(), active_services: z.number(), running_tasks: z.number(), pending_tasks: z.number() }),
      ),
    }),
    annotations: READ,
    handler: async ({ limit }, { signal }) => {
      const arns = await ecs.listClusterArns(limit, signal);
      const { clusters } = arns.length ? await ecs.describeClusters(arns, signal) : { clusters: [] };
      return {
        clusters: clusters.map((c) => ({
          name: c.clusterName ?? clusterName(c.clusterArn ?? ''),
          status: c.status ?? 'UNKNOWN',
          active_services: c.activeServicesCount ?? 0,
          running_tasks: c.runningTasksCount ?? 0,
          pending_tasks: c.pendingTasksCount ?? 0,
        })),
      };
    },
  });

  const listServices = defineTool({
    name: 'list_services',
    title: 'List services in a cluster',
    description:
      'Lists the services of one ECS cluster with the task definition each runs, running/desired/pending counts and the rollout state. Pass next_token from a previous answer to get the next page.',
    inputSchema: z.object({
      cluster: clusterArg,
      limit: z.number().int().min(1).max(50).default(20).describe('Services per page'),
      next_token: z.string().min(1).max(4096).optional().describe('next_token from the previous page'),
    }),
    outputSchema: z.object({ services: z.array(serviceSummarySchema), next_token: z.string().nullable() }),
    annotations: READ,
    handler: async ({ cluster, limit, next_token }, { signal }) => {
      const page = await ecs.listServiceArns(cluster, limit, next_token, signal);
      const { services } = page.arns.length ? await ecs.describeServices(cluster, page.arns, signal) : { services: [] };
      return { services: services.map(summariseService), next_token: page.nextToken };
    },
  });

  const describeService = defineTool({
    name: 'describe_service',
    title: 'Describe a service',
    description:
      'Shows one ECS service in detail: the task definition it runs, running/desired/pending counts, every deployment with its rollout state, the deployment configuration (circuit breaker) and the most recent service events. Also says whether deploy-mcp may change this service (write_allowed).',
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      events: z.number().int().min(0).max(50).default(10).describe('How many recent service events to include'),
    }),
    outputSchema: serviceSummarySchema.extend({
      cluster: z.string(),
      arn: z.string(),
      deployments: z.array(deploymentSchema),
      deployments_count: z.number(),
      minimum_healthy_percent: z.number().nullable(),
      maximum_percent: z.number().nullable(),
      circuit_breaker: circuitBreakerSchema,
      stable: z.boolean(),
      events: z.array(z.object({ at: z.string().nullable(), message: z.string() })),
      write_allowed: z.boolean().describe('true when write tools are enabled and this service is allow-listed'),
    }),
    annotations: READ,
    handler: async ({ cluster, service, events }, { signal }) => {
      const s = await ecs.describeService(cluster, service, signal);
      const summary = summariseService(s);
      return {
        ...summary,
        deployments_count: summary.deployments,
        cluster: clusterName(s.clusterArn ?? cluster),
        arn: s.serviceArn ?? '',
        deployments: (s.deployments ?? []).map(summariseDeployment),
        minimum_healthy_percent: s.deploymentConfiguration?.minimumHealthyPercent ?? null,
        maximum_percent: s.deploymentConfiguration?.maximumPercent ?? null,
        circuit_breaker: circuitBreaker(s),
        stable: isStable(s),
        events: (s.events ?? []).slice(0, events).map((e) => ({ at: e.createdAt ? e.createdAt.toISOString() : null, message: e.message ?? '' })),
        write_allowed: ctx.config.DEPLOY_ALLOW_WRITE && ctx.allowList.allows(cluster, service),
      };
    },
  });

  const getDeploymentStatus = defineTool({
    name: 'get_deployment_status',
    title: 'Get rollout progress',
    description:
      'Reports how far the current rollout of a service has got: the PRIMARY deployment\'s running/desired counts and percent, its rollout state, whether the service is stable, and whether the ECS deployment circuit breaker tripped (and whether ECS rolled back). Use after a deploy, or to decide whether it is safe to deploy.',
    inputSchema: z.object({ cluster: clusterArg, service: serviceArg }),
    outputSchema: z.object({
      service: z.string(),
      task_definition: z.string(),
      state: z.enum(['stable', 'in_progress', 'failed']),
      stable: z.boolean(),
      percent_complete: z.number().describe('running tasks of the PRIMARY deployment as a percentage of desired'),
      primary: deploymentSchema.nullable(),
      other_deployments: z.array(deploymentSchema),
      circuit_breaker: circuitBreakerSchema.extend({
        tripped: z.boolean(),
        reason: z.string().nullable(),
      }),
    }),
    annotations: READ,
    handler: async ({ cluster, service }, { signal }) => {
      const s = await ecs.describeService(cluster, service, signal);
      const primary = primaryDeployment(s);
      const tripped = trippedDeployment(s);
      const stable = isStable(s);
      const failed = primary?.rolloutState === 'FAILED' || tripped !== undefined;
      const desired = primary?.desiredCount ?? 0;
      const running = primary?.runningCount ?? 0;
      return {
        service: s.serviceName ?? serviceName(service),
        task_definition: shortTaskDefinition(s.taskDefinition),
        state: (stable ? 'stable' : failed ? 'failed' : 'in_progress') as 'stable' | 'failed' | 'in_progress',
        stable,
        percent_complete: desired === 0 ? 100 : Math.min(100, Math.round((running / desired) * 100)),
        primary: primary ? summariseDeployment(primary) : null,
        other_deployments: (s.deployments ?? []).filter((d) => d !== primary).map(summariseDeployment),
        circuit_breaker: { ...circuitBreaker(s), tripped: tripped !== undefined, reason: tripped?.rolloutStateReason ?? null },
      };
    },
  });

  const listTasks = defineTool({
    name: 'list_tasks',
    title: 'List tasks',
    description:
      'Lists the tasks of a cluster (optionally of one service) with status, task definition, health and, for stopped tasks, why they stopped. status=STOPPED shows recently stopped tasks (ECS keeps them for about an hour).',
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg.optional().describe('Only tasks of this service'),
      status: z.enum(['RUNNING', 'PENDING', 'STOPPED']).default('RUNNING').describe('Desired status to list'),
      limit: z.number().int().min(1).max(100).default(25),
    }),
    outputSchema: z.object({ tasks: z.array(taskSummarySchema) }),
    annotations: READ,
    handler: async ({ cluster, service, status, limit }, { signal }) => {
      const arns = await ecs.listTaskArns(cluster, { service, desiredStatus: status, limit }, signal);
      const { tasks } = arns.length ? await ecs.describeTasks(cluster, arns, signal) : { tasks: [] };
      return { tasks: tasks.map(summariseTask) };
    },
  });

  const describeTask = defineTool({
    name: 'describe_task',
    title: 'Describe a task',
    description:
      'Shows one ECS task: its containers with image, status, exit code and reason, the stop code and stopped reason, timestamps and resources. Use it to find out why a task stopped or is unhealthy.',
    inputSchema: z.object({ cluster: clusterArg, task: z.string().min(1).max(1600).describe('Task id or ARN') }),
    outputSchema: taskDetailSchema,
    annotations: READ,
    handler: async ({ cluster, task }, { signal }) => {
      const { tasks, failures } = await ecs.describeTasks(cluster, [task], signal);
      const found = tasks[0];
      if (!found) {
        throw new NotFoundError(
          'task_not_found',
          `Task ${taskId(task)} was not found in cluster ${clusterName(cluster)} (${failures[0]?.reason ?? 'MISSING'}); stopped tasks disappear after about an hour.`,
        );
      }
      return detailTask(found);
    },
  });

  const getStoppedTaskReasons = defineTool({
    name: 'get_stopped_task_reasons',
    title: 'Summarise why tasks stopped',
    description:
      'Groups the recently stopped tasks of a service by why they stopped (stop code, stopped reason, container exit codes) with counts and the latest example. Use it to diagnose a failing deployment or crash loop.',
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      limit: z.number().int().min(1).max(100).default(50).describe('How many recently stopped tasks to examine'),
    }),
    outputSchema: z.object({
      service: z.string(),
      stopped_tasks_examined: z.number(),
      reasons: z.array(
        z.object({
          stop_code: z.string().nullable(),
          stopped_reason: z.string().nullable(),
          containers: z.array(z.object({ name: z.string(), exit_code: z.number().nullable(), reason: z.string().nullable() })),
          count: z.number(),
          task_definitions: z.array(z.string()),
          latest_task_id: z.string(),
          latest_stopped_at: z.string().nullable(),
        }),
      ),
    }),
    annotations: READ,
    handler: async ({ cluster, service, limit }, { signal }) => {
      const arns = await ecs.listTaskArns(cluster, { service, desiredStatus: 'STOPPED', limit }, signal);
      const { tasks } = arns.length ? await ecs.describeTasks(cluster, arns, signal) : { tasks: [] };
      type Group = {
        stop_code: string | null;
        stopped_reason: string | null;
        containers: { name: string; exit_code: number | null; reason: string | null }[];
        count: number;
        task_definitions: Set<string>;
        latest: { id: string; at: Date | undefined };
      };
      const groups = new Map<string, Group>();
      for (const t of tasks) {
        const containers = (t.containers ?? [])
          .filter((c) => (c.exitCode !== undefined && c.exitCode !== 0) || c.reason)
          .map((c) => ({ name: c.name ?? '', exit_code: c.exitCode ?? null, reason: c.reason ?? null }))
          .sort((a, b) => a.name.localeCompare(b.name));
        const key = JSON.stringify([t.stopCode ?? null, t.stoppedReason ?? null, containers]);
        const at = t.stoppedAt ?? t.stoppingAt;
        const g = groups.get(key) ?? {
          stop_code: t.stopCode ?? null,
          stopped_reason: t.stoppedReason ?? null,
          containers,
          count: 0,
          task_definitions: new Set<string>(),
          latest: { id: taskId(t.taskArn ?? ''), at },
        };
        g.count += 1;
        g.task_definitions.add(shortTaskDefinition(t.taskDefinitionArn));
        if (at && (!g.latest.at || at > g.latest.at)) g.latest = { id: taskId(t.taskArn ?? ''), at };
        groups.set(key, g);
      }
      return {
        service: serviceName(service),
        stopped_tasks_examined: tasks.length,
        reasons: [...groups.values()]
          .sort((a, b) => b.count - a.count)
          .map((g) => ({
            stop_code: g.stop_code,
            stopped_reason: g.stopped_reason,
            containers: g.containers,
            count: g.count,
            task_definitions: [...g.task_definitions].sort(),
            latest_task_id: g.latest.id,
            latest_stopped_at: g.latest.at ? g.latest.at.toISOString() : null,
          })),
      };
    },
  });

  const describeTaskDefinition = defineTool({
    name: 'describe_task_definition',
    title: 'Describe a task definition',
    description:
      'Shows a task-definition revision: its containers (image, resources, ports, names of environment variables and secrets — never their values), CPU/memory, roles and status. Pass "family:revision", an ARN, or just the family for its latest ACTIVE revision.',
    inputSchema: z.object({
      task_definition: z.string().min(1).max(1600).describe('"family:revision", a task-definition ARN, or a family name (latest ACTIVE revision)'),
    }),
    outputSchema: taskDefinitionSchema,
    annotations: READ,
    handler: async ({ task_definition }, { signal }) => {
      const { taskDefinition } = await ecs.describeTaskDefinition(task_definition, signal);
      return summariseTaskDefinition(taskDefinition);
    },
  });

  const listRevisions = defineTool({
    name: 'list_task_definition_revisions',
    title: 'List task-definition revisions',
    description:
      'Lists the revisions of a task-definition family, newest first. Use it to pick a revision for rollback_service or to see what was deployed before.',
    inputSchema: z.object({
      family: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,255}$/, 'a family name: letters, digits, - and _')
        .describe('Task-definition family'),
      status: z.enum(['ACTIVE', 'INACTIVE']).default('ACTIVE').describe('ACTIVE revisions can be deployed; INACTIVE ones were deregistered'),
      limit: z.number().int().min(1).max(100).default(20),
      next_token: z.string().min(1).max(4096).optional(),
    }),
    outputSchema: z.object({
      family: z.string(),
      revisions: z.array(z.object({ task_definition: z.string(), revision: z.number() })),
      next_token: z.string().nullable(),
    }),
    annotations: READ,
    handler: async ({ family, status, limit, next_token }, { signal }) => {
      const page = await ecs.listTaskDefinitionArns(family, { status, limit, nextToken: next_token }, signal);
      const revisions = page.arns
        .map((arn) => shortTaskDefinition(arn))
        .filter((td) => td.startsWith(`${family}:`))
        .map((td) => ({ task_definition: td, revision: Number(td.slice(family.length + 1)) }));
      return { family, revisions, next_token: page.nextToken };
    },
  });

  return [listClusters, listServices, describeService, getDeploymentStatus, listTasks, describeTask, getStoppedTaskReasons, describeTaskDefinition, listRevisions];
}
