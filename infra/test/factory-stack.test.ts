// Synthesises the stacks offline and checks the template: one least-privilege task role per service,
// deploy-mcp's rights equal the actions its tools call, secrets only through Secrets Manager, /health
// checks everywhere, Redis noeviction, alarms and a dashboard.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FactoryStack, SERVICE_NAMESPACE } from '../src/factory-stack.js';
import { FactoryRegistryStack } from '../src/registry-stack.js';
import { OBSERVABILITY_ACTIONS, readDeployMcpActions } from '../src/permissions.js';
import { IMAGES, SERVICES } from '../src/services.js';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
}

let app: App;
let template: Template;
let resources: Record<string, Resource>;
const deployActions = readDeployMcpActions();

beforeAll(() => {
  app = new App();
  const stack = new FactoryStack(app, 'Factory-staging', { stage: 'staging', deployMcpActions: deployActions, alarmEmail: 'ops@example.com' });
  template = Template.fromStack(stack);
  resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const refOf = (v: unknown): string | undefined => {
  const o = v as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return o?.Ref ?? o?.['Fn::GetAtt']?.[0];
};

interface Container {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  HealthCheck?: { Command: string[] };
  PortMappings?: { ContainerPort: number }[];
}

/** The task definition of a service by its container name, with the logical id of its task role. */
function taskOf(service: string): { container: Container; taskRoleId: string; props: Json } {
  for (const [, r] of ofType('AWS::ECS::TaskDefinition')) {
    const container = (r.Properties.ContainerDefinitions as Container[])[0];
    if (container?.Name === service) {
      const taskRoleId = refOf(r.Properties.TaskRoleArn);
      if (!taskRoleId) throw new Error(`${service} has no task role`);
      return { container, taskRoleId, props: r.Properties };
    }
  }
  throw new Error(`no task definition for ${service}`);
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

/** Every statement of every policy attached to a role (inline, managed or AWS::IAM::Policy). */
function statementsOf(roleId: string): Statement[] {
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  const statements: Statement[] = [];
  for (const p of asArray(role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined)) statements.push(...p.PolicyDocument.Statement);
  for (const [, policy] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
    const roles = asArray(policy.Properties.Roles as unknown[]).map(refOf);
    if (roles.includes(roleId)) statements.push(...(policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return statements;
}
const APPS_DIR = fileURLToPath(new URL('../../apps/', import.meta.url));
// The AWS apps' shared layer (the aws_connectivity readiness check sends STS GetCallerIdentity).
const SHARED_AWS_DIR = fileURLToPath(new URL('../../packages/aws/src', import.meta.url));
const SERVICE_PREFIX: Record<string, string> = { 'client-cloudwatch': 'cloudwatch', 'client-cloudwatch-logs': 'logs', 'client-sts': 'sts', 'client-ecs': 'ecs' };

/** The IAM actions an app's source sends: each `new XCommand` imported from an @aws-sdk client. */
/** The AWS commands the code under `dirs` constructs, as IAM actions. */
function awsCommandsIn(...dirs: string[]): string[] {
  const actions = new Set<string>();
  const files = dirs.flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const imp of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z-]+)'/g)) {
      const prefix = SERVICE_PREFIX[imp[2] ?? ''];
      if (!prefix) continue;
      for (const name of (imp[1] ?? '').split(',').map((n) => n.trim().replace(/^type\s+/, ''))) {
        const m = /^([A-Za-z]+)Command$/.exec(name);
        if (m && new RegExp(`new ${name}\\(`).test(text)) actions.add(`${prefix}:${m[1]}`);
      }
    }
  }
  return [...actions].sort();
}

const actionsOf = (roleId: string) => [...new Set(statementsOf(roleId).flatMap((s) => asArray(s.Action)))].sort();

describe('task roles', () => {
  test('every service runs with its own task role', () => {
    const roles = SERVICES.map((s) => taskOf(s.name).taskRoleId);
    expect(new Set(roles).size).toBe(SERVICES.length);
    for (const id of roles) {
      const doc = resources[id]?.Properties.AssumeRolePolicyDocument as { Statement: { Principal: { Service: string } }[] };
      expect(doc.Statement.map((s) => s.Principal.Service)).toEqual(['ecs-tasks.amazonaws.com']);
    }
  });

  test("deploy-mcp may call exactly the ECS/STS actions its tools call, plus iam:PassRole for ECS task roles", () => {
    const { taskRoleId } = taskOf('deploy-mcp');
    expect(actionsOf(taskRoleId)).toEqual([...new Set([...deployActions, 'iam:PassRole'])].sort());
    const passRole = statementsOf(taskRoleId).filter((s) => asArray(s.Action).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(asArray(passRole[0]?.Action)).toEqual(['iam:PassRole']);
    expect(passRole[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(deployActions.every((a) => a.startsWith('ecs:') || a.startsWith('sts:') || a === 'iam:PassRole')).toBe(true);
    // Every AWS command deploy-mcp's code sends is covered by the file (which may add implied
    // permissions such as ecs:TagResource for tagged registrations).
    const sent = awsCommandsIn(join(APPS_DIR, 'deploy-mcp/src'), SHARED_AWS_DIR);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((a) => !deployActions.includes(a))).toEqual([]);
  });

  test('github-mcp and memory have no AWS rights at all', () => {
    for (const name of ['github-mcp', 'memory', 'memory-worker', 'workflow-worker']) {
      expect(statementsOf(taskOf(name).taskRoleId)).toEqual([]);
    }
  });

  test('observability-mcp can only read CloudWatch metrics, alarms and logs: exactly the commands its code sends', () => {
    const actions = actionsOf(taskOf('observability-mcp').taskRoleId);
    expect(actions).toEqual([...OBSERVABILITY_ACTIONS].sort());
    expect(actions).toEqual(awsCommandsIn(join(APPS_DIR, 'observability-mcp/src'), SHARED_AWS_DIR));
    for (const a of actions) expect(a).toMatch(/^(cloudwatch:(Describe|Get|List)|logs:(Describe|Get|Filter|StartQuery|StopQuery)|sts:GetCallerIdentity$)/);
  });

  test('control-center may only put metric data into the factory namespace', () => {
    expect(awsCommandsIn(join(APPS_DIR, 'control-center/src'))).toEqual(['cloudwatch:PutMetricData']);
    const statements = statementsOf(taskOf('control-center').taskRoleId);
    expect(statements).toHaveLength(1);
    expect(asArray(statements[0]?.Action)).toEqual(['cloudwatch:PutMetricData']);
    expect(statements[0]?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Factory' } });
  });
});

describe('secrets', () => {
  const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL|PRIVATE/i;

  test('no container has a credential in its plain environment', () => {
    for (const s of SERVICES) {
      const { container } = taskOf(s.name);
      for (const e of container.Environment ?? []) {
        expect(e.Name).not.toMatch(SECRET_NAME);
        expect(JSON.stringify(e.Value)).not.toMatch(/secretsmanager|password/i);
      }
    }
  });

  test('API keys, the database URL, the GitHub token and the LLM key come from Secrets Manager', () => {
    const secretNames = new Map(ofType('AWS::SecretsManager::Secret').map(([id, r]) => [id, r.Properties.Name]));
    const secretsOf = (name: string) =>
      Object.fromEntries((taskOf(name).container.Secrets ?? []).map((x) => [x.Name, secretNames.get(refOf(x.ValueFrom) ?? '')]));
    for (const s of SERVICES) {
      const secrets = secretsOf(s.name);
      expect(secrets.API_KEYS).toBe('factory/staging/api-key');
      if (s.uses.database) expect(secrets.DATABASE_URL).toBe('factory/staging/database-url');
    }
    expect(secretsOf('github-mcp').GITHUB_TOKEN).toBe('factory/staging/github-token');
    expect(secretsOf('control-center').SERVICES_API_KEY).toBe('factory/staging/api-key');
    expect(secretsOf('deploy-mcp').OBSERVABILITY_MCP_API_KEY).toBe('factory/staging/api-key');
    expect(secretsOf('memory').LLM_API_KEY).toBe('factory/staging/llm-api-key');
  });

  test('each container is told its port in the variable its app reads (the worker reads WORKER_PORT)', () => {
    for (const s of SERVICES) {
      const env = Object.fromEntries((taskOf(s.name).container.Environment ?? []).map((e) => [e.Name, e.Value]));
      expect(env[s.portVariable ?? 'PORT']).toBe(String(s.port));
      expect(env.HOST).toBe('0.0.0.0');
      expect(env.NODE_ENV).toBe('production');
    }
    const worker = Object.fromEntries((taskOf('memory-worker').container.Environment ?? []).map((e) => [e.Name, e.Value]));
    expect(worker.PORT).toBeUndefined();
  });

  test('the database URL secret is assembled from dynamic references, so the password is never in the template', () => {
    const [, url] = ofType('AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === 'factory/staging/database-url') ?? [];
    const text = JSON.stringify(url?.Properties.SecretString);
    expect(text).toContain('postgres://');
    expect(text).toContain('{{resolve:secretsmanager:');
    expect(text).toContain(':SecretString:password::}}');
  });
});

describe('health checks', () => {
  test('every ALB target group checks /health and expects 200', () => {
    const groups = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups).toHaveLength(SERVICES.filter((s) => s.public).length);
    for (const [, g] of groups) {
      expect(g.Properties.HealthCheckPath).toBe('/health');
      expect(g.Properties.Matcher).toEqual({ HttpCode: '200' });
    }
  });

  test('every container has a health check that runs node against its own /health', () => {
    for (const s of SERVICES) {
      const { container } = taskOf(s.name);
      expect(container.HealthCheck?.Command).toEqual(['CMD', 'node', '/app/healthcheck.mjs', `http://127.0.0.1:${s.port}/health`]);
      expect(container.PortMappings?.map((p) => p.ContainerPort)).toEqual([s.port]);
    }
  });

  test('the memory worker runs the memory image with the worker entry and is not behind the load balancer', () => {
    const worker = taskOf('memory-worker').container as Container & { Command?: string[]; Image: unknown };
    expect(worker.Command).toEqual(['node', '--import', '@factory/base-server/instrument', 'dist/worker.js']);
    expect(JSON.stringify(worker.Image)).toContain('factory/memory');
    const listeners = ofType('AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties.Port);
    expect(listeners.sort()).toEqual([3000, 3001, 3002, 3003, 3004]);
  });

  test('the workflow worker runs the control-center image with its second entry, on the database and Redis, calling the MCP servers', () => {
    const { container } = taskOf('workflow-worker');
    const worker = container as Container & { Command?: string[]; Image: unknown };
    expect(worker.Command).toEqual(['node', '--import', '@factory/base-server/instrument', 'dist/workflow-worker.js']);
    expect(JSON.stringify(worker.Image)).toContain('factory/control-center');
    const env = Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value]));
    expect(env.WORKFLOW_WORKER_PORT).toBe('3006');
    const servers = JSON.parse(String(env.SERVICES)) as { name: string; url: string; mcp: boolean }[];
    expect(servers.map((s) => s.name).sort()).toEqual(['deploy-mcp', 'github-mcp', 'memory', 'observability-mcp']);
    expect(servers.every((s) => s.mcp && s.url.includes(`.${SERVICE_NAMESPACE}:`))).toBe(true);
    expect((container.Secrets ?? []).map((s) => s.Name).sort()).toEqual(['API_KEYS', 'DATABASE_URL', 'SERVICES_API_KEY']);
    // The control center watches it like the memory worker: /health and /ready, not MCP.
    const registry = JSON.parse(String(Object.fromEntries((taskOf('control-center').container.Environment ?? []).map((e) => [e.Name, e.Value])).SERVICES)) as { name: string; url: string; mcp: boolean }[];
    expect(registry.find((s) => s.name === 'workflow-worker')).toMatchObject({ mcp: false, url: expect.stringContaining(':3006') });
  });
});

describe('data stores', () => {
  test('Redis uses a parameter group with maxmemory-policy noeviction', () => {
    const [[pgId, pg]] = ofType('AWS::ElastiCache::ParameterGroup') as [[string, Resource]];
    expect(pg.Properties.Properties).toEqual({ 'maxmemory-policy': 'noeviction' });
    const [[, redis]] = ofType('AWS::ElastiCache::ReplicationGroup') as [[string, Resource]];
    expect(refOf(redis.Properties.CacheParameterGroupName)).toBe(pgId);
    expect(redis.Properties.TransitEncryptionEnabled).toBe(true);
  });

  test('Postgres is encrypted and only reachable from its own subnets', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', StorageEncrypted: true, PubliclyAccessible: false });
  });
});

describe('several replicas of every service', () => {
  test('every ECS service runs at least two tasks by default, in staging too', () => {
    const services = ofType('AWS::ECS::Service');
    expect(services).toHaveLength(SERVICES.length);
    for (const [, s] of services) expect(s.Properties.DesiredCount).toBeGreaterThanOrEqual(2);
  });

  test('every container gets the ElastiCache URL: REDIS_URL where the app queues work, RATE_LIMIT_REDIS_URL where it only shares limits', () => {
    const [[redisId]] = ofType('AWS::ElastiCache::ReplicationGroup') as [[string, Resource]];
    for (const s of SERVICES) {
      const env = Object.fromEntries((taskOf(s.name).container.Environment ?? []).map((e) => [e.Name, e.Value]));
      const variable = ['control-center', 'deploy-mcp', 'memory', 'memory-worker', 'workflow-worker'].includes(s.name) ? 'REDIS_URL' : 'RATE_LIMIT_REDIS_URL';
      expect(JSON.stringify(env[variable])).toContain(redisId);
      expect(JSON.stringify(env[variable])).toContain('rediss://');
    }
  });

  test('deploy-mcp shares its audit records (Postgres) and guard watches (Redis) across its tasks', () => {
    const env = Object.fromEntries((taskOf('deploy-mcp').container.Environment ?? []).map((e) => [e.Name, e.Value]));
    expect(env.DATABASE_SCHEMA).toBe('deploy_mcp');
    expect((taskOf('deploy-mcp').container.Secrets ?? []).map((x) => x.Name)).toContain('DATABASE_URL');
  });

  test('the Redis security group admits every service on 6379', () => {
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.FromPort === 6379);
    expect(ingress).toHaveLength(SERVICES.length);
  });
});

describe('logs, alarms and dashboard', () => {
  test('every service logs to its own named log group with a retention', () => {
    const groups = ofType('AWS::Logs::LogGroup').map(([, g]) => g.Properties);
    for (const s of SERVICES) {
      const group = groups.find((g) => g.LogGroupName === `/factory/staging/${s.name}`);
      expect(group?.RetentionInDays).toBe(14);
    }
  });

  test('alarms watch factory Availability, each ServiceHealth and each DependencyCheckLatency, and notify the topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const find = (metric: string, dims: Record<string, string>) =>
      alarms.find(
        (a) =>
          a.MetricName === metric &&
          a.Namespace === 'Factory' &&
          JSON.stringify(asArray(a.Dimensions as { Name: string; Value: string }[] | undefined).map((d) => `${d.Name}=${d.Value}`).sort()) ===
            JSON.stringify(Object.entries(dims).map(([k, v]) => `${k}=${v}`).sort()),
      );
    expect(find('Availability', {})).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
    // The control center reports the services it watches (SERVICES), not itself.
    expect(alarms.filter((a) => a.MetricName === 'ServiceHealth')).toHaveLength(SERVICES.length - 1);
    for (const s of SERVICES.filter((x) => x.name !== 'control-center')) {
      expect(find('ServiceHealth', { ServiceName: s.name })).toBeDefined();
      for (const d of s.dependencies) expect(find('DependencyCheckLatency', { ServiceName: s.name, DependencyName: d })).toBeDefined();
    }
    const [[topicId]] = ofType('AWS::SNS::Topic') as [[string, Resource]];
    for (const a of alarms) expect(asArray(a.AlarmActions as unknown[]).map(refOf)).toEqual([topicId]);
    const unhealthy = alarms.filter((a) => a.MetricName === 'UnHealthyHostCount');
    expect(unhealthy).toHaveLength(SERVICES.filter((s) => s.public).length);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  test('a dashboard shows the factory metrics', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['Availability', 'ServiceHealth', 'DependencyCheckLatency', 'CPUUtilization', 'MemoryUtilization']) expect(body).toContain(metric);
  });
});

describe('synthesis', () => {
  test('needs no AWS lookup: the stacks are environment-agnostic and synthesise offline', () => {
    const offline = new App();
    new FactoryRegistryStack(offline, 'FactoryRegistry');
    new FactoryStack(offline, 'Factory-production', { stage: 'production', deployMcpActions: deployActions });
    const assembly = offline.synth();
    expect(assembly.manifest.missing).toBeUndefined();
    const registry = Template.fromJSON(assembly.getStackByName('FactoryRegistry').template as Json);
    expect(Object.keys(registry.findResources('AWS::ECR::Repository'))).toHaveLength(IMAGES.length);
    const production = Template.fromJSON(assembly.getStackByName('Factory-production').template as Json);
    production.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
  });

  test('exports what the deploy workflow reads: cluster, and each service name, task family and container', () => {
    const outputs = Object.keys(template.toJSON().Outputs as Json);
    expect(outputs).toEqual(expect.arrayContaining(['ClusterName', 'LoadBalancerDns']));
    for (const s of SERVICES) {
      const id = s.name
        .split('-')
        .map((p) => p[0]?.toUpperCase() + p.slice(1))
        .join('');
      expect(outputs).toEqual(expect.arrayContaining([`${id}ServiceName`, `${id}TaskFamily`, `${id}ContainerName`]));
    }
  });
});

describe('readDeployMcpActions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'factory-infra-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('rejects a file that is not a list of IAM actions, and names the file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ actions: ['ecs:ListClusters'] }));
    expect(() => readDeployMcpActions(file)).toThrow(file);
    writeFileSync(file, JSON.stringify(['ecs:ListClusters', 'not an action']));
    expect(() => readDeployMcpActions(file)).toThrow('must be a non-empty JSON array');
  });

  test('names the missing file and what it is for', () => {
    expect(() => readDeployMcpActions(join(dir, 'missing.json'))).toThrow('deploy-mcp keeps the IAM actions its tools call there');
  });
});
