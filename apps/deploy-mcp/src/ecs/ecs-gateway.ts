// The only module that sends ECS commands. Every call maps failures through mapAwsError, so tools see
// AppErrors whose messages say what to fix. (STS is only used by the shared aws_connectivity check.)
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Cluster,
  type DesiredStatus,
  type ECSClient,
  type Failure,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type Task,
  type TaskDefinition,
  type TaskDefinitionStatus,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { NotFoundError } from '@factory/base-server';
import { mapAwsError } from '@factory/aws';
import { AWS_ERRORS } from '../aws/aws-errors.js';
import { clusterName, serviceName, shortTaskDefinition } from './names.js';

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapAwsError(err, action, AWS_ERRORS);
  }
}

export class EcsGateway {
  constructor(private readonly ecs: ECSClient) {}

  /** Cluster ARNs, following pages up to `limit`. */
  async listClusterArns(limit: number, signal?: AbortSignal): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await call('ecs:ListClusters', () =>
        this.ecs.send(new ListClustersCommand({ maxResults: Math.min(100, limit - arns.length), nextToken }), { abortSignal: signal }),
      );
      arns.push(...(out.clusterArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken && arns.length < limit);
    return arns.slice(0, limit);
  }

  async describeClusters(clusters: readonly string[], signal?: AbortSignal): Promise<{ clusters: Cluster[]; failures: Failure[] }> {
    const result = { clusters: [] as Cluster[], failures: [] as Failure[] };
    for (const batch of chunks(clusters, 100)) {
      const out = await call('ecs:DescribeClusters', () => this.ecs.send(new DescribeClustersCommand({ clusters: batch }), { abortSignal: signal }));
      result.clusters.push(...(out.clusters ?? []));
      result.failures.push(...(out.failures ?? []));
    }
    return result;
  }

  async listServiceArns(cluster: string, limit: number, nextToken: string | undefined, signal?: AbortSignal) {
    const out = await call('ecs:ListServices', () =>
      this.ecs.send(new ListServicesCommand({ cluster, maxResults: Math.min(100, limit), nextToken }), { abortSignal: signal }),
    );
    return { arns: out.serviceArns ?? [], nextToken: out.nextToken ?? null };
  }

  async describeServices(cluster: string, services: readonly string[], signal?: AbortSignal): Promise<{ services: Service[]; failures: Failure[] }> {
    const result = { services: [] as Service[], failures: [] as Failure[] };
    for (const batch of chunks(services, 10)) {
      const out = await call('ecs:DescribeServices', () =>
        this.ecs.send(new DescribeServicesCommand({ cluster, services: batch }), { abortSignal: signal }),
      );
      result.services.push(...(out.services ?? []));
      result.failures.push(...(out.failures ?? []));
    }
    return result;
  }

  /** One service; a missing or inactive service is a NotFoundError naming it. */
  async describeService(cluster: string, service: string, signal?: AbortSignal): Promise<Service> {
    const { services, failures } = await this.describeServices(cluster, [service], signal);
    const found = services[0];
    if (!found || found.status === 'INACTIVE') {
      const reason = failures[0]?.reason ?? found?.status ?? 'MISSING';
      throw new NotFoundError(
        'service_not_found',
        `Service "${serviceName(service)}" was not found in cluster "${clusterName(cluster)}" (${reason}). Use list_services to see the services.`,
      );
    }
    return found;
  }

  async listTaskArns(
    cluster: string,
    options: { service?: string | undefined; desiredStatus: DesiredStatus; limit: number },
    signal?: AbortSignal,
  ): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await call('ecs:ListTasks', () =>
        this.ecs.send(
          new ListTasksCommand({
            cluster,
            ...(options.service ? { serviceName: options.service } : {}),
            desiredStatus: options.desiredStatus,
            maxResults: Math.min(100, options.limit - arns.length),
            nextToken,
          }),
          { abortSignal: signal },
        ),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken && arns.length < options.limit);
    return arns.slice(0, options.limit);
  }

  async describeTasks(cluster: string, tasks: readonly string[], signal?: AbortSignal): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const result = { tasks: [] as Task[], failures: [] as Failure[] };
    for (const batch of chunks(tasks, 100)) {
      const out = await call('ecs:DescribeTasks', () => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }), { abortSignal: signal }));
      result.tasks.push(...(out.tasks ?? []));
      result.failures.push(...(out.failures ?? []));
    }
    return result;
  }

  /** A task definition with its tags (so a copy can preserve them). */
  async describeTaskDefinition(ref: string, signal?: AbortSignal): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] }> {
    const out = await call('ecs:DescribeTaskDefinition', () =>
      this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }), { abortSignal: signal }),
    );
    if (!out.taskDefinition) {
      throw new NotFoundError('task_definition_not_found', `Task definition "${shortTaskDefinition(ref)}" was not found.`);
    }
    return { taskDefinition: out.taskDefinition, tags: out.tags ?? [] };
  }

  async listTaskDefinitionArns(
    family: string,
    options: { status: TaskDefinitionStatus; limit: number; nextToken?: string | undefined },
    signal?: AbortSignal,
  ): Promise<{ arns: string[]; nextToken: string | null }> {
    const out = await call('ecs:ListTaskDefinitions', () =>
      this.ecs.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status: options.status,
          sort: 'DESC',
          maxResults: Math.min(100, options.limit),
          nextToken: options.nextToken,
        }),
        { abortSignal: signal },
      ),
    );
    return { arns: out.taskDefinitionArns ?? [], nextToken: out.nextToken ?? null };
  }

  async registerTaskDefinition(input: RegisterTaskDefinitionCommandInput, signal?: AbortSignal): Promise<TaskDefinition> {
    const out = await call('ecs:RegisterTaskDefinition', () => this.ecs.send(new RegisterTaskDefinitionCommand(input), { abortSignal: signal }));
    if (!out.taskDefinition?.taskDefinitionArn) throw new Error('RegisterTaskDefinition returned no task definition');
    return out.taskDefinition;
  }

  async updateService(input: UpdateServiceCommandInput, signal?: AbortSignal): Promise<Service> {
    const out = await call('ecs:UpdateService', () => this.ecs.send(new UpdateServiceCommand(input), { abortSignal: signal }));
    if (!out.service) throw new Error('UpdateService returned no service');
    return out.service;
  }
}
