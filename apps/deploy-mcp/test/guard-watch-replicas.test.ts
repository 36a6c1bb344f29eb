// The guard watch survives the replica running it: two real deploy-mcp processes (`node dist/index.js`)
// share Postgres (the audit table) and Redis (the deploy-guard-watch queue). A guarded scale_service
// starts a watch; the replica running it is killed with SIGKILL mid-watch; a guard alarm then fires,
// and the other replica takes the watch over, rolls the change back and audits it under its own name.
// AWS: observability-mcp runs in this process with its CloudWatch client mocked at the SDK boundary;
// the child processes reach ECS through a fake at its HTTP boundary (test/fake-ecs.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Queue } from 'bullmq';
import pg from 'pg';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createLogger, type Service } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import { createObservabilityService, parseObservabilityConfig } from '@factory/observability-mcp';
import { GUARD_QUEUE } from '../src/guard/guard-queue.js';
import { startFakeEcs, type FakeEcs } from './fake-ecs.js';
import { DATABASE_URL, KEY, REGION, tdArn } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const OBS_KEY = 'deploy-replicas-key-0123456789';
const INDEX_JS = fileURLToPath(new URL('../dist/index.js', import.meta.url));

interface Replica {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [INDEX_JS], { env: { ...process.env, ...env, REPLICA_ID: name }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 30_000);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"deploy-mcp ready"'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ name, port: (JSON.parse(line) as { port: number }).port, child, exited });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('guard watch across deploy-mcp replicas', () => {
  const alarms = new Map<string, MetricAlarm>();
  const setAlarm = (state: 'OK' | 'ALARM') =>
    alarms.set('web-5xx', { AlarmName: 'web-5xx', StateValue: state, StateReason: state === 'ALARM' ? 'Threshold Crossed: 5xx 12%' : 'ok', StateUpdatedTimestamp: new Date() });
  const cloudwatch = new CloudWatchClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const obsSts = new STSClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  mockClient(obsSts);
  const schema = uniqueSchema('deploy_replicas');
  const prefix = `test_deploy_${randomBytes(4).toString('hex')}`;
  let observability: Service;
  let ecs: FakeEcs;
  let queue: Queue;
  let pool: pg.Pool;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    mockClient(cloudwatch).on(DescribeAlarmsCommand).callsFake(async () => ({ MetricAlarms: [...alarms.values()], CompositeAlarms: [] }));
    setAlarm('OK');
    observability = createObservabilityService(parseObservabilityConfig({ PORT: '0', API_KEYS: `deploy-mcp:${OBS_KEY}`, AWS_REGION: REGION, LOG_LEVEL: 'silent' }), {
      cloudwatch,
      sts: obsSts,
      logger: createLogger({ service: 'observability-mcp', version: 'test', level: 'silent' }),
    });
    const obsUrl = `${(await observability.start()).url}/mcp`;
    ecs = await startFakeEcs({ taskDefinition: tdArn('web', 7), desiredCount: 2 });
    const env = {
      PORT: '0',
      LOG_LEVEL: 'info',
      API_KEYS: `tester:${KEY}`,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: ecs.url,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_MAX_ATTEMPTS: '1',
      DEPLOY_CLUSTERS: 'prod',
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web',
      OBSERVABILITY_MCP_URL: obsUrl,
      OBSERVABILITY_MCP_API_KEY: OBS_KEY,
      DEPLOY_GUARD_WATCH_MS: '30000',
      DEPLOY_GUARD_POLL_INTERVAL_MS: '200',
      DEPLOY_GUARD_LOCK_MS: '1500',
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      RATE_LIMIT_KEY_PREFIX: `${prefix}:rate-limit:`,
    };
    replicas.push(await startReplica('replica-a', env));
    replicas.push(await startReplica('replica-b', env));
    queue = new Queue(GUARD_QUEUE, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  }, 90_000);

  afterAll(async () => {
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      await r.exited;
    }
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await pool?.end();
    await dropSchema(DATABASE_URL, schema);
    await observability?.stop();
    await ecs?.close();
    cloudwatch.destroy();
    obsSts.destroy();
  }, 60_000);

  it('a replica killed mid-watch: another replica finishes the watch and rolls the change back, and the audit names it', async () => {
    const client = new Client({ name: 'replicas-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${replicas[0]!.port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    // The call never answers: the replica it waits on is killed (or the connection is).
    const call = client
      .callTool({ name: 'scale_service', arguments: { cluster: 'prod', service: 'web', desired_count: 4, expected_task_definition: 'web:7', guard_alarms: { names: ['web-5xx'] } } })
      .catch((err: unknown) => err);

    let answered: unknown;
    void call.then((r) => (answered = r));
    const active = await waitFor(async () => {
      if (answered !== undefined) throw new Error(`scale_service answered before its watch ran: ${JSON.stringify(answered)}`);
      return (await queue.getActive())[0];
    }, 'the watch job to run');
    expect(ecs.service.desiredCount).toBe(4);
    const watcher = replicas.find((r) => r.name === active.processedBy);
    const survivor = replicas.find((r) => r !== watcher);
    expect(watcher).toBeDefined();
    watcher!.child.kill('SIGKILL');
    await watcher!.exited;
    setAlarm('ALARM');

    // The survivor takes the job over once the dead replica's lock expires, sees the alarm and rolls back.
    const rollback = await waitFor(async () => {
      const { rows } = await pool.query<{ result: string; details: { replica: string; reverts_audit_id: string }; after: { desired_count: number } }>(
        `select result, details, after from "${schema}".deploy_audit where action = 'auto_rollback'`,
      );
      return rows[0];
    }, 'the automatic rollback');
    expect(rollback.result).toBe('succeeded');
    expect(rollback.details.replica).toBe(survivor!.name);
    expect(ecs.service.desiredCount).toBe(2);
    expect(ecs.updates.map((u) => u.desiredCount)).toEqual([4, 2]);

    const { rows: writes } = await pool.query<{ id: string; details: { replica: string } }>(`select id::text, details from "${schema}".deploy_audit where action = 'scale_service'`);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.details.replica).toBe('replica-a');
    expect(rollback.details.reverts_audit_id).toBe(writes[0]!.id);
    const job = await waitFor(async () => ((await queue.getCompleted())[0]), 'the job to complete');
    expect(job.processedBy).toBe(survivor!.name);
    // Names and numbers only: no API key or other credential travels in a job.
    for (const secret of [KEY, OBS_KEY, 'secret']) expect(JSON.stringify(job.data)).not.toContain(secret);
    expect(job.returnvalue).toMatchObject({ replica: survivor!.name, guard: { watch: 'fired' }, rollback: { restored_desired_count: 2 } });
    await call;
    await client.close().catch(() => undefined);
  }, 90_000);
});
