// The GitHub workflows parsed and checked for the keys they need, the changed-app detection, and the
// ECS deploy/rollback script run against a stand-in aws CLI (the third-party boundary).
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { APPS, changedApps } from '../scripts/changed-apps.mjs';
import { cleanEnv, REPO_ROOT, run } from './helpers.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface Job {
  needs?: string | string[];
  if?: string;
  'runs-on': string;
  services?: Record<string, { image: string; options?: string }>;
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
  environment?: string;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const load = (file: string) => parse(readFileSync(join(REPO_ROOT, '.github/workflows', file), 'utf8')) as Workflow;
const script = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

describe('ci.yml', () => {
  const ci = load('ci.yml');
  test('runs on pushes and pull requests, with Postgres and Redis services, and lints, typechecks and tests', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    const jobs = Object.values(ci.jobs);
    const withServices = jobs.find((j) => j.services?.postgres && j.services.redis);
    expect(withServices?.services?.postgres?.image).toMatch(/^postgres:/);
    expect(withServices?.services?.redis?.image).toMatch(/^redis:/);
    const all = jobs.map(script).join('\n');
    for (const step of [/pnpm install --frozen-lockfile/, /\blint\b/, /\btypecheck\b/, /\btest\b/]) expect(all).toMatch(step);
  });
});

describe('deploy.yml', () => {
  const wf = load('deploy.yml');

  test('triggers on main and by hand with a stage choice, one deploy per stage at a time, OIDC to AWS', () => {
    expect(wf.on.push).toMatchObject({ branches: ['main'] });
    const dispatch = wf.on.workflow_dispatch as { inputs: Record<string, { options?: string[] }> };
    expect(dispatch.inputs.environment?.options).toEqual(['staging', 'production']);
    expect(wf.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    for (const job of Object.values(wf.jobs).filter((j) => j.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials')))) {
      const creds = job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
      expect(creds?.with?.['role-to-assume']).toBe('${{ secrets.AWS_DEPLOY_ROLE_ARN }}');
    }
  });

  test('builds each changed app with deploy/Dockerfile and pushes it to ECR', () => {
    const images = wf.jobs.images;
    expect(images?.strategy?.matrix.app).toBe('${{ fromJSON(needs.changes.outputs.apps) }}');
    expect(images?.steps.some((s) => s.uses?.startsWith('aws-actions/amazon-ecr-login'))).toBe(true);
    const build = script(images as Job);
    expect(build).toContain('--file deploy/Dockerfile');
    expect(build).toContain('--build-arg APP="$APP"');
    expect(build).toContain('--push');
    expect(script(wf.jobs.changes as Job)).toContain('deploy/scripts/changed-apps.mjs');
  });

  test('deploys the task definition, waits for stable, smoke-tests, and rolls back on failure', () => {
    const job = wf.jobs.services as Job;
    expect(job.needs).toEqual(['changes', 'images']);
    const runs = job.steps.map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const deploy = at(/ecs-deploy\.sh deploy /);
    const wait = at(/ecs-deploy\.sh wait /);
    const smoke = at(/scripts\/smoke-test\.sh/);
    const rollback = at(/ecs-deploy\.sh rollback /);
    expect([deploy, wait, smoke, rollback].every((i) => i >= 0)).toBe(true);
    expect(deploy < wait && wait < smoke && smoke < rollback).toBe(true);
    expect(job.steps[rollback]?.if).toBe('failure()');
    expect(job.environment).toBe("${{ inputs.environment || 'staging' }}");
  });

  test('an infrastructure change deploys the CDK stacks with the new image tag, then smoke-tests', () => {
    const registry = script(wf.jobs.registry as Job);
    expect(registry).toContain('deploy FactoryRegistry');
    const infra = wf.jobs.infrastructure as Job;
    expect(infra.needs).toEqual(['changes', 'images']);
    expect(script(infra)).toMatch(/cdk@2 deploy "\$STACK" .*-c imageTag="\$IMAGE_TAG"/);
    expect(script(infra)).toContain('scripts/smoke-test.sh');
  });

  test('reads only stack outputs the CDK stack declares', () => {
    const stackSource = readFileSync(join(REPO_ROOT, 'infra/src/factory-stack.ts'), 'utf8');
    const used = new Set<string>();
    const [workflowText = '', scriptText = ''] = [
      readFileSync(join(REPO_ROOT, '.github/workflows/deploy.yml'), 'utf8'),
      readFileSync(join(REPO_ROOT, 'deploy/scripts/ecs-deploy.sh'), 'utf8'),
    ];
    for (const text of [workflowText, scriptText]) for (const m of text.matchAll(/OutputKey=='([A-Za-z]+)'/g)) used.add(m[1] ?? '');
    for (const m of scriptText.matchAll(/output "\$\{id\}([A-Za-z]+)"\)/g)) used.add(`\${id}${m[1] ?? ''}`);
    for (const m of scriptText.matchAll(/output ([A-Z][A-Za-z]+)\)/g)) used.add(m[1] ?? '');
    expect([...used].sort()).toEqual(['${id}ContainerName', '${id}ServiceName', 'ApiKeySecretName', 'ClusterName', 'LoadBalancerDns'].sort());
    for (const key of used) expect(stackSource).toContain(key.startsWith('${id}') ? `\`${key}\`` : `'${key}'`);
  });
});

describe('changed-apps', () => {
  test('an app folder change deploys that app only; a shared change deploys every app', () => {
    expect(changedApps(['apps/memory/src/app.ts', 'README.md'])).toEqual({ apps: ['memory'], infra: false });
    expect(changedApps(['apps/github-mcp/README.md', 'apps/deploy-mcp/src/x.ts']).apps).toEqual(['github-mcp', 'deploy-mcp']);
    expect(changedApps(['packages/base-server/src/service.ts']).apps).toEqual(APPS);
    expect(changedApps(['pnpm-lock.yaml']).apps).toEqual(APPS);
    expect(changedApps(['deploy/Dockerfile']).apps).toEqual(APPS);
    // The CDK deploy runs every service at the new tag: every image is built first.
    expect(changedApps(['infra/src/factory-stack.ts'])).toEqual({ apps: APPS, infra: true });
    expect(changedApps(['docs/x.md', 'deploy/grafana/dashboards/factory.json'])).toEqual({ apps: [], infra: false });
  });

  test('the CLI deploys everything with --all or a first push', async () => {
    const all = await run('node', ['deploy/scripts/changed-apps.mjs', '--all']);
    expect(JSON.parse(all.stdout)).toEqual({ apps: APPS, infra: true });
    const first = await run('node', ['deploy/scripts/changed-apps.mjs', '0000000000000000000000000000000000000000', 'HEAD']);
    expect(JSON.parse(first.stdout)).toEqual({ apps: APPS, infra: true });
  });
});

describe('ecs-deploy.sh against a stand-in aws CLI', () => {
  let dir: string;
  let stateFile: string;
  let logFile: string;
  const OLD = (family: string) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:1`;
  const taskDefinition = (family: string, container: string) => ({
    taskDefinitionArn: OLD(family),
    family,
    revision: 1,
    status: 'ACTIVE',
    requiresAttributes: [{ name: 'ecs.capability.secrets.asm.environment-variables' }],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: '2026-01-01T00:00:00Z',
    registeredBy: 'arn:aws:iam::123456789012:role/cdk',
    taskRoleArn: `arn:aws:iam::123456789012:role/${container}-task`,
    cpu: '512',
    memory: '1024',
    containerDefinitions: [
      {
        name: container,
        image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/factory/memory:old`,
        secrets: [{ name: 'API_KEYS', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:factory/staging/api-key' }],
        environment: [{ name: 'PORT', value: '3004' }],
      },
    ],
  });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'factory-ecs-deploy-'));
    copyFileSync(join(REPO_ROOT, 'deploy/test/fake-aws.mjs'), join(dir, 'aws'));
    chmodSync(join(dir, 'aws'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    stateFile = join(dir, 'state.json');
    logFile = join(dir, `calls-${Date.now()}.log`);
    writeFileSync(
      stateFile,
      JSON.stringify({
        outputs: {
          ClusterName: 'factory-staging',
          MemoryServiceName: 'memory',
          MemoryContainerName: 'memory',
          MemoryWorkerServiceName: 'memory-worker',
          MemoryWorkerContainerName: 'memory-worker',
        },
        services: { memory: OLD('factory-staging-memory'), 'memory-worker': OLD('factory-staging-memory-worker') },
        taskDefinitions: {
          [OLD('factory-staging-memory')]: taskDefinition('factory-staging-memory', 'memory'),
          [OLD('factory-staging-memory-worker')]: taskDefinition('factory-staging-memory-worker', 'memory-worker'),
        },
      }),
    );
  });

  const ecsDeploy = (args: string[], extra: Record<string, string> = {}) =>
    run('bash', ['deploy/scripts/ecs-deploy.sh', ...args], {
      env: cleanEnv({ PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_AWS_STATE: stateFile, FAKE_AWS_LOG: logFile, ...extra }),
    });
  const state = () =>
    JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, string>; taskDefinitions: Record<string, ReturnType<typeof taskDefinition>> };
  const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/factory/memory:abc123';

  test('deploy registers a revision with only the image changed, for memory and its worker, and points both services at it', async () => {
    const record = join(dir, 'deploy-record');
    const result = await ecsDeploy(['deploy', 'Factory-staging', 'memory', IMAGE, record]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const s = state();
    for (const [service, family] of [
      ['memory', 'factory-staging-memory'],
      ['memory-worker', 'factory-staging-memory-worker'],
    ] as const) {
      const next = s.services[service] ?? '';
      expect(next).toBe(`arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:2`);
      const def = s.taskDefinitions[next];
      const old = taskDefinition(family, service);
      expect(def?.containerDefinitions[0]?.image).toBe(IMAGE);
      expect(def?.containerDefinitions[0]?.secrets).toEqual(old.containerDefinitions[0]?.secrets);
      expect(def?.containerDefinitions[0]?.environment).toEqual(old.containerDefinitions[0]?.environment);
      expect(def?.taskRoleArn).toBe(old.taskRoleArn);
    }
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([
      `memory ${OLD('factory-staging-memory')} arn:aws:ecs:eu-west-1:123456789012:task-definition/factory-staging-memory:2`,
      `memory-worker ${OLD('factory-staging-memory-worker')} arn:aws:ecs:eu-west-1:123456789012:task-definition/factory-staging-memory-worker:2`,
    ]);

    const waited = await ecsDeploy(['wait', 'Factory-staging', 'memory', record]);
    expect(waited.code).toBe(0);
    const calls = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(calls.filter((c) => c[1] === 'wait').map((c) => c.slice(2))).toEqual([
      ['services-stable', '--cluster', 'factory-staging', '--services', 'memory'],
      ['services-stable', '--cluster', 'factory-staging', '--services', 'memory-worker'],
    ]);
  });

  test('a service that never becomes stable fails the wait, and rollback restores the previous revisions', async () => {
    const record = join(dir, 'rollback-record');
    expect((await ecsDeploy(['deploy', 'Factory-staging', 'memory', IMAGE, record])).code).toBe(0);
    const waited = await ecsDeploy(['wait', 'Factory-staging', 'memory', record], { FAKE_AWS_UNSTABLE: 'true' });
    expect(waited.code).not.toBe(0);

    const rolledBack = await ecsDeploy(['rollback', 'Factory-staging', 'memory', record]);
    expect(rolledBack.code).toBe(0);
    expect(state().services).toEqual({ memory: OLD('factory-staging-memory'), 'memory-worker': OLD('factory-staging-memory-worker') });
    expect(rolledBack.stdout).toContain('memory rolled back');
  });

  test('rollback before any service was updated changes nothing', async () => {
    const record = join(dir, 'empty-record');
    writeFileSync(record, '');
    const result = await ecsDeploy(['rollback', 'Factory-staging', 'memory', record]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nothing to roll back');
    expect(state().services).toEqual({ memory: OLD('factory-staging-memory'), 'memory-worker': OLD('factory-staging-memory-worker') });
  });

  test('a missing stack output stops the deploy with a message saying what to do', async () => {
    const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { outputs: Record<string, string> };
    delete s.outputs.ClusterName;
    writeFileSync(stateFile, JSON.stringify(s));
    const result = await ecsDeploy(['deploy', 'Factory-staging', 'memory', IMAGE, join(dir, 'never')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no output ClusterName: deploy the infrastructure first');
  });
});
