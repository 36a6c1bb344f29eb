// The ECS task settings in infra/ (plain environment plus Secrets Manager variables) checked against
// the apps' real config schemas, the same way compose.test.ts checks docker-compose.yml.
import { describe, expect, test } from '@jest/globals';
import { SERVICES, type ServiceSpec } from '../../infra/dist/services.js';
import { configSchema as controlCenterSchema, parseControlCenterConfig, parseWorkflowWorkerConfig } from '../../apps/control-center/dist/config.js';
import { githubConfigSchema, parseGithubConfig } from '../../apps/github-mcp/dist/config.js';
import { configSchema as deploySchema, parseDeployConfig } from '../../apps/deploy-mcp/dist/config.js';
import { observabilityConfigSchema, parseObservabilityConfig } from '../../apps/observability-mcp/dist/config.js';
import { memoryConfigSchema, parseMemoryConfig, parseWorkerConfig } from '../../apps/memory/dist/config.js';

const APPS: Record<string, { shape: Record<string, unknown>; parse: (env: Record<string, string>) => { PORT: number } }> = {
  'control-center': { shape: controlCenterSchema.shape, parse: parseControlCenterConfig },
  'github-mcp': { shape: githubConfigSchema.shape, parse: parseGithubConfig },
  'deploy-mcp': { shape: deploySchema.shape, parse: parseDeployConfig },
  'observability-mcp': { shape: observabilityConfigSchema.shape, parse: parseObservabilityConfig },
  memory: { shape: memoryConfigSchema.shape, parse: parseMemoryConfig },
  'memory-worker': { shape: memoryConfigSchema.shape, parse: parseWorkerConfig },
  'workflow-worker': { shape: controlCenterSchema.shape, parse: parseWorkflowWorkerConfig },
};

/** What a task of this spec sees at run time, with placeholder secret values of the right form. */
function taskEnvironment(spec: ServiceSpec): Record<string, string> {
  const fill = (v: string) =>
    v.replaceAll('{stage}', 'staging').replaceAll('{region}', 'eu-west-1').replaceAll('{namespace}', 'factory.internal').replaceAll('{metricsNamespace}', 'Factory');
  const secretValue: Record<string, string> = {
    'api-key': 'k'.repeat(48),
    'database-url': 'postgres://factory:secret@db.example.internal:5432/factory?sslmode=no-verify',
    'github-token': 'g'.repeat(40),
    'llm-api-key': 'l'.repeat(40),
  };
  return {
    NODE_ENV: 'production',
    HOST: '0.0.0.0',
    [spec.portVariable ?? 'PORT']: String(spec.port),
    LOG_LEVEL: 'info',
    ALLOWED_HOSTS: `factory-staging.elb.example.com,${spec.name}.factory.internal`,
    ...(spec.uses.redis ? { [spec.redisVariable ?? 'REDIS_URL']: 'rediss://redis.example.internal:6379' } : {}),
    ...Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, fill(v)])),
    ...Object.fromEntries(Object.entries(spec.secrets).map(([k, name]) => [k, secretValue[name] ?? ''])),
  };
}

describe('infra task settings', () => {
  test('cover exactly the five apps and the two workers', () => {
    expect(SERVICES.map((s) => s.name).sort()).toEqual(Object.keys(APPS).sort());
  });

  test.each(Object.keys(APPS))('%s: the task environment parses with the app schema and names only variables it reads', (name) => {
    const spec = SERVICES.find((s) => s.name === name);
    const app = APPS[name];
    if (!spec || !app) throw new Error(`no spec for ${name}`);
    const env = taskEnvironment(spec);
    const config = app.parse(env);
    expect(config.PORT).toBe(spec.port);
    const unknown = Object.keys(env).filter((k) => !(k in app.shape) && k !== spec.portVariable);
    expect(unknown).toEqual([]);
  });

  test("the control center watches every other service at its Cloud Map name and port", () => {
    const spec = SERVICES.find((s) => s.name === 'control-center');
    if (!spec) throw new Error('no control-center');
    const config = parseControlCenterConfig(taskEnvironment(spec));
    expect(config.CLOUDWATCH_ENABLED).toBe(true);
    expect(config.SERVICES.map((s: { name: string; url: string }) => [s.name, s.url])).toEqual(
      SERVICES.filter((s) => s.name !== 'control-center').map((s) => [s.name, `http://${s.name}.factory.internal:${s.port}`]),
    );
  });
});
