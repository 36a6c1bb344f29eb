// The shipped workflows (apps/control-center/workflows/*.json) call tools that really exist: each is
// saved through the control center, whose validation checks every server, tool, literal argument and
// expression against the tool lists of the real github-mcp, deploy-mcp, observability-mcp and memory.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { createGithubService, parseGithubConfig } from '@factory/github-mcp';
import { createMemoryService, parseMemoryConfig } from '@factory/memory';
import { PG_URL, UPSTREAM_KEY } from './helpers.js';
import { api, cleanUp, json, startControlCenter, startServers, workflowEnv, type Servers } from './workflow-helpers.js';

const dir = fileURLToPath(new URL('../workflows/', import.meta.url));
const examples = readdirSync(dir).filter((f) => f.endsWith('.json'));

let servers: Servers;
let env: Record<string, string>;
let cc: Awaited<ReturnType<typeof startControlCenter>>;
let stopOthers: () => Promise<void>;

beforeAll(async () => {
  servers = await startServers();
  const silent = createLogger({ service: 'fixture', version: 'test', level: 'silent' });
  const github = createGithubService(parseGithubConfig({ PORT: '0', LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}`, GITHUB_TOKEN: 'ghp_test_token_never_sent_anywhere' }), { logger: silent });
  const githubUrl = (await github.start()).url;
  const memorySchema = uniqueSchema('wf_memory');
  const memory = await createMemoryService(parseMemoryConfig({ PORT: '0', LOG_LEVEL: 'silent', API_KEYS: `cc:${UPSTREAM_KEY}`, DATABASE_URL: PG_URL, DATABASE_SCHEMA: memorySchema }), { logger: silent });
  const memoryUrl = (await memory.service.start()).url;
  stopOthers = async () => {
    await github.stop();
    await memory.service.stop();
    await dropSchema(PG_URL, memorySchema);
  };
  const services = [...(JSON.parse(servers.services) as object[]), { name: 'github-mcp', url: githubUrl, sharedApiKey: true }, { name: 'memory', url: memoryUrl, sharedApiKey: true }];
  env = workflowEnv(servers, { SERVICES: JSON.stringify(services) });
  cc = await startControlCenter(env);
});
afterAll(async () => {
  await cc.service.stop();
  await stopOthers();
  await servers.close();
  await cleanUp(env);
});

describe('shipped workflows', () => {
  it('ships the guarded ECS release and the incident digest', () => {
    expect(examples.sort()).toEqual(['guarded-ecs-release.json', 'incident-digest.json']);
  });

  it.each(examples)('%s passes every check against the real servers', async (file) => {
    const def = JSON.parse(readFileSync(`${dir}${file}`, 'utf8'));
    const r = await api(cc.url, '/api/workflows', { body: def });
    const body = await json(r);
    expect(body.error?.details ?? body).toMatchObject({ name: def.name, version: 1 });
    expect(r.status).toBe(201);
  });

  it('catches a shipped step whose tool was renamed (the check is not a formality)', async () => {
    const def = JSON.parse(readFileSync(`${dir}guarded-ecs-release.json`, 'utf8'));
    def.steps[1].tool = 'deploy_image_v2';
    const body = await json(await api(cc.url, '/api/workflows', { body: def }));
    expect(body.error.details.problems).toEqual([{ path: 'steps[1].tool', message: 'deploy-mcp has no tool "deploy_image_v2"' }]);
  });
});
