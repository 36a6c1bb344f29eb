// Workflows end to end: definitions saved and refused, runs on the real queue and worker calling the
// real deploy-mcp and observability-mcp (AWS mocked at the SDK client), approvals, decisions, cancel,
// pause/resume, start-up resume, JSONata injection, soft delete and retention.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createLogger } from '@factory/base-server';
import { sweepRetention } from '../src/workflows/retention.js';
import { KEY, pollUntil } from './helpers.js';
import { api, cleanUp, ecsService, json, startControlCenter, startInProcessWorker, startServers, workflowEnv, type Servers } from './workflow-helpers.js';

let servers: Servers;
let env: Record<string, string>;
let cc: Awaited<ReturnType<typeof startControlCenter>>;
let worker: Awaited<ReturnType<typeof startInProcessWorker>> | undefined;

const release = {
  name: 'release',
  description: 'Describe, restart (approved), check alarms',
  input: { type: 'object', required: ['service'], properties: { service: { type: 'string' } } },
  steps: [
    { id: 'describe', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: '{% input.service %}' } },
    {
      id: 'restart',
      server: 'deploy-mcp',
      tool: 'restart_service',
      args: { cluster: 'prod', service: '{% input.service %}', expected_task_definition: '{% steps.describe.output.task_definition %}' },
    },
    { id: 'alarms', server: 'observability-mcp', tool: 'get_active_alarms', args: { prefix: '{% input.service %}' }, when: '{% steps.restart.state = "succeeded" %}' },
  ],
};

const save = async (def: unknown) => api(cc.url, '/api/workflows', { body: def });
const start = async (name: string, input: Record<string, unknown>) => json(await api(cc.url, `/api/workflows/${name}/runs`, { body: { input } }));
const run = async (id: string) => json(await api(cc.url, `/api/workflow-runs/${id}`));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const until = async (id: string, pred: (r: { state: string; steps: Array<{ id: string; state: string }> }) => boolean): Promise<any> => {
  let last: unknown;
  try {
    return await pollUntil(async () => {
      const r = await run(id);
      last = r;
      return pred(r) ? r : undefined;
    }, 60_000, 50);
  } catch {
    throw new Error(`run ${id} never reached the expected state; last seen: ${JSON.stringify(last)}`);
  }
};
const step = (r: { steps: Array<{ id: string }> }, id: string) => r.steps.find((s) => s.id === id) as unknown as Record<string, unknown> & { state: string };

/** Holds deploy-mcp's first DescribeServices call (a step mid-call) until release(); counts the calls. */
const holdFirstDescribe = () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const held = { calls: 0, release: () => open() };
  servers.ecsMock.on(DescribeServicesCommand).callsFake(async () => {
    held.calls += 1;
    if (held.calls === 1) await gate;
    return { services: [ecsService()], failures: [] };
  });
  return held;
};

beforeAll(async () => {
  servers = await startServers();
  env = workflowEnv(servers, { WORKFLOW_REQUEUE_INTERVAL_MS: '1000' });
  cc = await startControlCenter(env);
  worker = await startInProcessWorker(env);
  servers.cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});
afterAll(async () => {
  await worker?.service.stop();
  await cc.service.stop();
  await servers.close();
  await cleanUp(env);
});

describe('workflow definitions', () => {
  it('saves a definition as version 1, a second save as version 2, and accepts YAML', async () => {
    const first = await save(release);
    expect(first.status).toBe(201);
    expect(await json(first)).toMatchObject({ name: 'release', version: 1, created_by: 'tester' });
    const yaml = `name: release\ndescription: second\ninput: {type: object, properties: {service: {type: string}}, required: [service]}\nsteps:\n${release.steps
      .map((s) => `  - ${JSON.stringify(s)}`)
      .join('\n')}\n`;
    const second = await save({ yaml });
    expect(await json(second)).toMatchObject({ version: 2 });
    const got = await json(await api(cc.url, '/api/workflows/release'));
    expect(got.definition.description).toBe('second');
    expect(got.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('refuses unknown servers and tools, schema-breaking literal args, bad expressions and duplicate ids with the path of each', async () => {
    const r = await save({
      name: 'broken',
      steps: [
        { id: 'a', server: 'nowhere-mcp', tool: 'x' },
        { id: 'b', server: 'deploy-mcp', tool: 'no_such_tool' },
        { id: 'c', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 42, service: '{% input.s %}' } },
        { id: 'd', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: '{% input.( %}' }, when: '1 +' },
      ],
    });
    expect(r.status).toBe(400);
    const body = await json(r);
    expect(body.error.code).toBe('invalid_workflow_definition');
    const paths = body.error.details.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['steps[0].server', 'steps[1].tool', 'steps[2].args.cluster', 'steps[3].args.service', 'steps[3].when']));
    // The computed `service` of step c is not checked against the schema (it is known only at run time).
    expect(paths).not.toContain('steps[2].args.service');
    const dup = await json(await save({ name: 'dup', steps: [{ id: 'a', server: 'deploy-mcp', tool: 'list_clusters' }, { id: 'a', server: 'deploy-mcp', tool: 'list_clusters' }] }));
    expect(dup.error.details.problems).toEqual([{ path: 'steps[1].id', message: expect.stringContaining('duplicate step id') }]);
    expect((await api(cc.url, '/api/workflows/broken')).status).toBe(404);
  });
});

describe('workflow runs', () => {
  beforeAll(async () => {
    expect((await save(release)).status).toBe(201);
    expect((await save({ name: 'reads', steps: [{ id: 'one', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: 'web', events: 0 } }, { id: 'two', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: 'web' } }] })).status).toBe(201);
  });

  it('runs a multi-step workflow end to end: the destructive step waits for approval, recorded with the approver', async () => {
    const started = await start('release', { service: 'web' });
    expect(started).toMatchObject({ workflow: 'release', caller: 'tester', trigger: 'rest' });
    const waiting = await until(started.id, (r) => r.state === 'waiting');
    expect(step(waiting, 'describe')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(step(waiting, 'restart')).toMatchObject({ state: 'waiting_approval', args: { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' } });
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);

    const decided = await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'approve' } });
    expect(await json(decided)).toMatchObject({ decision: 'approve', decided_by: 'tester' });
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(step(done, 'restart')).toMatchObject({ state: 'succeeded', output: expect.objectContaining({ executed: true }) });
    expect(step(done, 'alarms')).toMatchObject({ state: 'succeeded', output: { alarms: [], count: 0, next_token: null } });
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(done.finished_at).not.toBeNull();
  });

  it("commits a read-only step's claim and record without waiting for the WAL flush, a write's as the database is set", async () => {
    const w = worker!;
    // The lists the decision is made from (a server not read yet counts as not repeatable: flushed).
    await w.workflows.directory.tools('deploy-mcp');
    await w.workflows.directory.tools('observability-mcp');
    const seen: Array<{ name: string; values: readonly unknown[]; row: Record<string, unknown> | undefined }> = [];
    const prepared = w.database.prepared.bind(w.database);
    w.database.prepared = async <R,>(st: { name: string; text: string }, values: readonly unknown[]) => {
      const rows = await prepared<R>(st, values);
      seen.push({ name: st.name, values, row: rows[0] as Record<string, unknown> | undefined });
      return rows;
    };
    try {
      const started = await start('release', { service: 'web' });
      await until(started.id, (r) => r.state === 'waiting');
      expect((await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'approve' } })).status).toBe(200);
      await until(started.id, (r) => r.state === 'succeeded');
      const mine = seen.filter((s) => s.values.includes(started.id));
      const claims = mine.filter((s) => s.name === 'workflow_claim_step').map((s) => [s.row?.tool, s.row?.commit_mode]);
      const records = mine.filter((s) => s.name.startsWith('workflow_record_step')).map((s) => s.row?.commit_mode);
      // describe_service and get_active_alarms are read-only; restart_service is a destructive write.
      expect(claims).toEqual([['describe_service', 'off'], ['restart_service', 'on'], ['get_active_alarms', 'off']]);
      expect(records).toEqual(['off', 'on', 'off']);
    } finally {
      w.database.prepared = prepared;
    }
  });

  it('cancels a waiting run: no further step starts and a late decision is refused', async () => {
    const started = await start('release', { service: 'web' });
    await until(started.id, (r) => r.state === 'waiting');
    const cancelled = await json(await api(cc.url, `/api/workflow-runs/${started.id}/cancel`, { method: 'POST' }));
    expect(cancelled).toMatchObject({ state: 'cancelled', error: 'cancelled by tester' });
    const after = await run(started.id);
    expect(step(after, 'restart').state).toBe('cancelled');
    expect(step(after, 'alarms').state).toBe('pending');
    expect((await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'approve' } })).status).toBe(409);
  });

  it('cancels a run mid-call: the call in flight finishes and is recorded, no later step starts', async () => {
    const held = holdFirstDescribe();
    try {
      const started = await start('reads', {});
      await until(started.id, (r) => step(r, 'one').state === 'running' && held.calls > 0);
      const cancelled = await json(await api(cc.url, `/api/workflow-runs/${started.id}/cancel`, { method: 'POST' }));
      expect(cancelled).toMatchObject({ state: 'cancelled' });
      held.release();
      const after = await until(started.id, (r) => step(r, 'one').state === 'succeeded');
      expect(after.state).toBe('cancelled');
      expect(step(after, 'one').output).toMatchObject({ task_definition: 'web:7' });
      expect(step(after, 'two').state).toBe('pending');
      expect(held.calls).toBe(1);
    } finally {
      held.release();
      servers.ecsMock.on(DescribeServicesCommand).resolves({ services: [ecsService()], failures: [] });
    }
  });

  it('pauses a run mid-call: the call in flight is recorded, the next step starts only after resume', async () => {
    const held = holdFirstDescribe();
    try {
      const started = await start('reads', {});
      await until(started.id, (r) => step(r, 'one').state === 'running' && held.calls > 0);
      expect((await json(await api(cc.url, `/api/workflow-runs/${started.id}/pause`, { method: 'POST' }))).state).toBe('paused');
      held.release();
      const paused = await until(started.id, (r) => step(r, 'one').state === 'succeeded');
      expect(paused.state).toBe('paused');
      expect(step(paused, 'two').state).toBe('pending');
      expect(held.calls).toBe(1);
      expect((await json(await api(cc.url, `/api/workflow-runs/${started.id}/resume`, { method: 'POST' }))).state).toBe('running');
      const done = await until(started.id, (r) => r.state === 'succeeded');
      expect(done.steps.map((s: { state: string }) => s.state)).toEqual(['succeeded', 'succeeded']);
      expect(held.calls).toBe(2);
    } finally {
      held.release();
      servers.ecsMock.on(DescribeServicesCommand).resolves({ services: [ecsService()], failures: [] });
    }
  });

  it('pauses a run (its queued step is held) and resume really resumes it', async () => {
    await worker!.service.stop();
    worker = undefined;
    const started = await start('reads', {});
    expect((await json(await api(cc.url, `/api/workflow-runs/${started.id}/pause`, { method: 'POST' }))).state).toBe('paused');
    worker = await startInProcessWorker(env);
    // The worker takes the job and holds it back: the run stays paused, the step queued.
    await pollUntil(async () => ((await worker!.workflows.queue!.queue.getJobCounts('waiting', 'active')).waiting === 0 ? true : undefined));
    const held = await run(started.id);
    expect(held.state).toBe('paused');
    expect(step(held, 'one').state).toBe('queued');
    expect((await json(await api(cc.url, `/api/workflow-runs/${started.id}/resume`, { method: 'POST' }))).state).toBe('running');
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(done.steps.map((s: { state: string }) => s.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('resumes at start-up a run whose queued job was lost', async () => {
    await worker!.service.stop();
    worker = undefined;
    const started = await start('reads', {});
    await cc.workflows.queue!.queue.drain(true);
    expect(step(await run(started.id), 'one').state).toBe('queued');
    worker = await startInProcessWorker(env);
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(step(done, 'one').attempt).toBe(1);
  });

  it("goes on after Redis refused the next step's job: the job is delivered again and queues it, no restart needed", async () => {
    const queue = worker!.workflows.queue!;
    const enqueue = queue.enqueue.bind(queue);
    let refused = 0;
    queue.enqueue = async (jobs) => {
      if (refused++ === 0) throw new Error('Redis did not answer (test)');
      return enqueue(jobs);
    };
    try {
      const started = await start('reads', {});
      const done = await until(started.id, (r) => r.state === 'succeeded');
      expect(refused).toBeGreaterThanOrEqual(2);
      expect(done.steps.map((s: { state: string; attempt: number }) => [s.state, s.attempt])).toEqual([
        ['succeeded', 1],
        ['succeeded', 1],
      ]);
    } finally {
      queue.enqueue = enqueue;
    }
  });

  it('takes a run back when its first job cannot be queued: a 503 naming Redis, no run left behind, a retry runs once', async () => {
    const queue = cc.workflows.queue!;
    const enqueue = queue.enqueue.bind(queue);
    const runsOf = async () => (await json(await api(cc.url, '/api/workflow-runs?workflow=reads&limit=100'))).runs.length as number;
    const before = await runsOf();
    queue.enqueue = async () => {
      throw new Error('Connection is closed.');
    };
    try {
      const refused = await api(cc.url, '/api/workflows/reads/runs', { body: { input: {} } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect((await json(refused)).error.code).toBe('redis_unavailable');
      expect(await runsOf()).toBe(before);
    } finally {
      queue.enqueue = enqueue;
    }
    const started = await start('reads', {});
    expect((await until(started.id, (r) => r.state === 'succeeded')).steps.map((s: { attempt: number }) => s.attempt)).toEqual([1, 1]);
    expect(await runsOf()).toBe(before + 1);
  });

  it('goes on after a decision whose job Redis refused: the 503 names Redis, the decision holds, the step is queued again', async () => {
    const started = await start('release', { service: 'web' });
    await until(started.id, (r) => r.state === 'waiting');
    const queue = cc.workflows.queue!;
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async () => {
      throw new Error('Connection is closed.');
    };
    try {
      const refused = await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'approve' } });
      expect(refused.status).toBe(503);
      expect((await json(refused)).error.code).toBe('redis_unavailable');
    } finally {
      queue.enqueue = enqueue;
    }
    expect(step(await run(started.id), 'restart')).toMatchObject({ state: 'queued', decision: 'approve', decided_by: 'tester' });
    // No job holds the step now; the worker's requeue sweep (every second here) gives it one.
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(step(done, 'restart')).toMatchObject({ state: 'succeeded', attempt: 1 });
  });

  it('keeps JSONata injection data: crafted input is passed as text, $eval is refused, runaway recursion is stopped', async () => {
    await save({
      name: 'inject',
      input: { type: 'object', properties: { prefix: { type: 'string' } } },
      steps: [
        { id: 'literal', server: 'observability-mcp', tool: 'get_active_alarms', args: { prefix: '{% input.prefix %}' } },
        { id: 'evil', server: 'observability-mcp', tool: 'get_active_alarms', args: { prefix: '{% $eval(input.prefix) %}' }, on_error: 'continue' },
        { id: 'loop', server: 'observability-mcp', tool: 'get_active_alarms', args: { prefix: '{% ($f := function($x){ $f($x) + 1 }; $f(1)) %}' }, on_error: 'continue' },
      ],
    });
    const crafted = '{% $string($keys($)) %}';
    servers.cwMock.resetHistory();
    const started = await start('inject', { prefix: crafted });
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(step(done, 'literal')).toMatchObject({ state: 'succeeded', args: { prefix: crafted } });
    expect(servers.cwMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({ AlarmNamePrefix: crafted });
    expect(step(done, 'evil')).toMatchObject({ state: 'failed', error: expect.stringContaining('$eval is disabled') });
    expect(step(done, 'loop')).toMatchObject({ state: 'failed', error: expect.stringMatching(/too deep|too long/) });
    expect(servers.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it("keeps a deleted workflow's old runs readable and refuses new runs of it", async () => {
    const r = await start('reads', {});
    await until(r.id, (x) => x.state === 'succeeded');
    expect((await api(cc.url, '/api/workflows/reads', { method: 'DELETE' })).status).toBe(200);
    expect((await json(await api(cc.url, '/api/workflows'))).workflows.map((w: { name: string }) => w.name)).not.toContain('reads');
    const old = await run(r.id);
    expect(old).toMatchObject({ workflow: 'reads', state: 'succeeded' });
    expect(old.steps).toHaveLength(2);
    const refused = await api(cc.url, '/api/workflows/reads/runs', { body: { input: {} } });
    expect(refused.status).toBe(404);
  });

  it('refuses a run whose input breaks the input schema, naming the path', async () => {
    const r = await api(cc.url, '/api/workflows/release/runs', { body: { input: { service: 7 } } });
    expect(r.status).toBe(400);
    expect((await json(r)).error).toMatchObject({ code: 'invalid_workflow_input', details: { problems: [{ path: 'input.service', message: 'must be string' }] } });
  });

  it('removes finished runs older than the retention age in batches, and nothing newer', async () => {
    const runs = await json(await api(cc.url, '/api/workflow-runs?limit=200'));
    const finished = runs.runs.filter((r: { finished_at: string | null }) => r.finished_at);
    const old = finished.slice(0, 3).map((r: { id: string }) => r.id);
    await cc.database.db.updateTable('workflow_runs').set({ finished_at: new Date('2020-01-01T00:00:00Z') }).where('id', 'in', old).execute();
    const deleted = await sweepRetention(cc.database.db, { cutoff: new Date('2021-01-01T00:00:00Z'), batch: 2, logger: createLogger({ service: 't', version: 't', level: 'silent' }) });
    expect(deleted).toBe(3);
    for (const id of old) expect((await api(cc.url, `/api/workflow-runs/${id}`)).status).toBe(404);
    expect((await json(await api(cc.url, '/api/workflow-runs?limit=200'))).runs).toHaveLength(runs.runs.length - 3);
    const orphanSteps = await cc.database.db.selectFrom('workflow_steps').select('run_id').where('run_id', 'in', old).execute();
    expect(orphanSteps).toHaveLength(0);
  });
});

describe('workflow MCP tools and metrics', () => {
  it('serves the seven workflow tools with their annotations, and starts and reads a run over MCP with the caller recorded', async () => {
    const client = new Client({ name: 'wf-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${cc.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));
    try {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const n of ['list_workflows', 'get_workflow', 'get_workflow_run', 'list_workflow_runs']) expect(byName.get(n)?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      for (const n of ['start_workflow', 'decide_workflow_step', 'cancel_workflow_run']) expect(byName.get(n)?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      const started = await client.callTool({ name: 'start_workflow', arguments: { name: 'release', input: { service: 'web' } } });
      const id = (started.structuredContent as { id: string; caller: string; trigger: string }).id;
      expect(started.structuredContent).toMatchObject({ caller: 'tester', trigger: 'mcp' });
      await until(id, (r) => r.state === 'waiting');
      const decided = await client.callTool({ name: 'decide_workflow_step', arguments: { run_id: id, step: 'describe', decision: 'approve' } });
      expect(decided.isError).toBe(true);
      const got = await client.callTool({ name: 'get_workflow_run', arguments: { run_id: id } });
      expect((got.structuredContent as { state: string }).state).toBe('waiting');
      expect((await client.callTool({ name: 'cancel_workflow_run', arguments: { run_id: id } })).structuredContent).toMatchObject({ state: 'cancelled' });
    } finally {
      await client.close();
    }
  });

  it('exports run outcomes, step durations, active runs and waiting decisions', async () => {
    const text = await (await fetch(`${worker!.url}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } })).text();
    expect(text).toMatch(/workflow_runs_total\{[^}]*workflow="reads"[^}]*outcome="succeeded"[^}]*\} [1-9]/);
    expect(text).toMatch(/workflow_step_duration_seconds_count\{[^}]*server="deploy-mcp"[^}]*tool="describe_service"[^}]*outcome="succeeded"[^}]*\} [1-9]/);
    expect(text).toMatch(/workflow_runs_active\{[^}]*\} \d+/);
    expect(text).toMatch(/workflow_steps_waiting_decision\{[^}]*\} \d+/);
  });
});

describe('workflow dashboard', () => {
  it('lists workflows and runs, shows a run page with its steps, and approves a step through the same-origin form', async () => {
    const login = await fetch(`${cc.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: KEY, next: '/' }).toString(), redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = (path: string) => fetch(`${cc.url}${path}`, { headers: { accept: 'text/html', cookie } });
    const started = await start('release', { service: 'web' });
    await until(started.id, (r) => r.state === 'waiting');
    const list = await (await page('/workflows')).text();
    expect(list).toContain('data-workflow="release"');
    expect(list).toContain(`/workflows/runs/${started.id}`);
    const runPage = await (await page(`/workflows/runs/${started.id}`)).text();
    expect(runPage).toMatch(/data-step="restart".*waiting_approval.*data-action="approve"/s);
    expect(runPage).toContain('&quot;expected_task_definition&quot;:&quot;web:7&quot;');
    const approved = await fetch(`${cc.url}/workflows/runs/${started.id}/steps/restart/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: cc.url },
      body: new URLSearchParams({ decision: 'approve' }).toString(),
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe(`/workflows/runs/${started.id}`);
    const done = await until(started.id, (r) => r.state === 'succeeded');
    expect(step(done, 'restart')).toMatchObject({ decision: 'approve', decided_by: 'tester' });
    const partial = await (await fetch(`${cc.url}/workflows/runs/${started.id}`, { headers: { accept: 'text/html', cookie, 'x-partial': '1' } })).text();
    expect(partial.startsWith('<section')).toBe(true);
    expect(partial).toContain('approve by tester');
  });
});

describe('workflow REST in /openapi.json', () => {
  it('documents the workflow routes', async () => {
    const doc = await json(await api(cc.url, '/openapi.json'));
    for (const p of ['/api/workflows', '/api/workflows/{name}/runs', '/api/workflow-runs/{id}', '/api/workflow-runs/{id}/steps/{step}/decision', '/api/workflow-runs/{id}/pause']) expect(doc.paths[p]).toBeDefined();
  });
});


describe('workflow schedules', () => {
  const ticking = (schedule: boolean) => ({
    name: 'ticking',
    steps: [{ id: 'alarms', server: 'observability-mcp', tool: 'get_active_alarms', args: {} }],
    ...(schedule ? { schedule: { cron: '* * * * * *', input: {} } } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const runsOf = async (): Promise<any[]> => (await json(await api(cc.url, '/api/workflow-runs?workflow=ticking&limit=100'))).runs;
  const schedulers = async () => (await cc.workflows.queue!.queue.getJobSchedulers(0, -1)).filter((j) => j.name === 'start' && j.template?.data?.workflow === 'ticking');
  const moreRuns = (than: number) => pollUntil(async () => ((await runsOf()).length > than ? true : undefined), 30_000, 100);

  it('starts runs on the cron schedule, as the schedule, and puts back a scheduler Redis lost without a restart', async () => {
    expect((await save(ticking(true))).status).toBe(201);
    await moreRuns(0);
    expect((await runsOf())[0]).toMatchObject({ trigger: 'schedule', caller: 'schedule' });
    // Redis loses the scheduler (a restart without persistence): the worker's own timer puts it back.
    await cc.workflows.queue!.removeSchedule('ticking');
    expect(await schedulers()).toHaveLength(0);
    await pollUntil(async () => ((await schedulers()).length === 1 ? true : undefined), 30_000, 100);
    const before = (await runsOf()).length;
    await moreRuns(before);
  });

  it('starts nothing once the latest version has no schedule, and a scheduler left behind removes itself', async () => {
    expect((await save(ticking(false))).status).toBe(201);
    expect(await schedulers()).toHaveLength(0);
    // A scheduler whose removal failed (Redis refused it at the save) fires once more and goes.
    await cc.workflows.queue!.upsertSchedule('ticking', '* * * * * *', undefined);
    await pollUntil(async () => ((await schedulers()).length === 0 ? true : undefined), 30_000, 100);
    const settled = (await runsOf()).length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await runsOf()).length).toBe(settled);
    expect(await schedulers()).toHaveLength(0);
  });
});
