// Crash safety with the real worker process: a worker killed with SIGKILL mid-call. A read-only step
// is called again by the next worker; a mutating one is left `unknown` until an operator decides, and
// is never repeated blindly.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { pollUntil } from './helpers.js';
import { api, cleanUp, ecsService, json, startControlCenter, startInProcessWorker, startServers, startWorkerProcess, workflowEnv, type Servers, type WorkerProcess } from './workflow-helpers.js';

let servers: Servers;
let env: Record<string, string>;
let cc: Awaited<ReturnType<typeof startControlCenter>>;
let child: WorkerProcess | undefined;
let worker: Awaited<ReturnType<typeof startInProcessWorker>> | undefined;

/** The next call of a command hangs until released; every other call answers at once. */
function hangOnce<T>(answer: () => T) {
  let armed = false;
  let entered = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  return {
    arm: () => void (armed = true),
    get entered() {
      return entered;
    },
    release: () => release(),
    fake: async () => {
      entered++;
      if (armed) {
        armed = false;
        await gate;
      }
      return answer();
    },
  };
}

const pollLong = <T>(fn: () => Promise<T | undefined>) => pollUntil(fn, 60_000, 50);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const run = async (id: string): Promise<any> => json(await api(cc.url, `/api/workflow-runs/${id}`));
const step = (r: { steps: Array<{ id: string; state: string }> }, id: string) => r.steps.find((s) => s.id === id) as unknown as Record<string, unknown> & { state: string; attempt: number };

beforeAll(async () => {
  servers = await startServers();
  // The requeue sweep every second (60 s by default), for the step whose job is gone.
  env = workflowEnv(servers, { WORKFLOW_REQUEUE_INTERVAL_MS: '1000' });
  cc = await startControlCenter(env);
  await api(cc.url, '/api/workflows', { body: { name: 'read', steps: [{ id: 'describe', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: 'web' } }] } });
  await api(cc.url, '/api/workflows', {
    body: {
      name: 'mutate',
      steps: [
        { id: 'restart', server: 'deploy-mcp', tool: 'restart_service', approval: false, args: { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' } },
        { id: 'after', server: 'deploy-mcp', tool: 'describe_service', args: { cluster: 'prod', service: 'web' } },
      ],
    },
  });
});
afterAll(async () => {
  await child?.kill('SIGKILL');
  await worker?.service.stop();
  await cc.service.stop();
  await servers.close();
  await cleanUp(env);
});

// Worker start-up, kill and stalled-job detection take seconds on a loaded machine.
jest.setTimeout(120_000);

describe('a worker killed mid-step', () => {
  it('calls a read-only step again on the next worker', async () => {
    const hang = hangOnce(() => ({ services: [ecsService()], failures: [] }));
    servers.ecsMock.on(DescribeServicesCommand).callsFake(hang.fake);
    hang.arm();
    child = await startWorkerProcess(env);
    const started = await json(await api(cc.url, '/api/workflows/read/runs', { body: { input: {} } }));
    await pollLong(async () => (hang.entered === 1 && step(await run(started.id), 'describe').state === 'running' ? true : undefined));
    await child.kill('SIGKILL');
    child = undefined;
    worker = await startInProcessWorker(env);
    const done = await pollLong(async () => {
      const r = await run(started.id);
      return r.state === 'succeeded' ? r : undefined;
    });
    expect(step(done, 'describe')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(hang.entered).toBe(2);
    hang.release();
    await worker.service.stop();
    worker = undefined;
  });

  it('leaves a mutating step unknown, never calls it again by itself, and goes on after the decision', async () => {
    servers.ecsMock.on(DescribeServicesCommand).resolves({ services: [ecsService()], failures: [] });
    const hang = hangOnce(() => ({ service: ecsService() }));
    servers.ecsMock.on(UpdateServiceCommand).callsFake(hang.fake);
    hang.arm();
    child = await startWorkerProcess(env);
    const started = await json(await api(cc.url, '/api/workflows/mutate/runs', { body: { input: {} } }));
    await pollLong(async () => (hang.entered === 1 ? true : undefined));
    await child.kill('SIGKILL');
    child = undefined;
    worker = await startInProcessWorker(env);
    const waiting = await pollLong(async () => {
      const r = await run(started.id);
      return r.state === 'waiting' ? r : undefined;
    });
    expect(step(waiting, 'restart')).toMatchObject({ state: 'unknown', attempt: 1, error: expect.stringContaining('not called again without a decision') });
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    hang.release();

    const decided = await json(await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'skip' } }));
    expect(decided).toMatchObject({ state: 'skipped', decision: 'skip', decided_by: 'tester' });
    const done = await pollLong(async () => {
      const r = await run(started.id);
      return r.state === 'succeeded' ? r : undefined;
    });
    expect(step(done, 'after').state).toBe('succeeded');
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  it('retries an unknown step only when an operator says retry', async () => {
    worker ??= await startInProcessWorker(env);
    servers.ecsMock.on(UpdateServiceCommand).resolves({ service: ecsService() });
    servers.ecsMock.resetHistory();
    const started = await json(await api(cc.url, '/api/workflows/mutate/runs', { body: { input: {} } }));
    await pollLong(async () => ((await run(started.id)).state === 'succeeded' ? true : undefined));
    // What a redelivered job of an interrupted call finds: the step still `running` at a new dispatch.
    await cc.database.db.updateTable('workflow_steps').set({ state: 'running', dispatch: 5 }).where('run_id', '=', started.id).where('index', '=', 0).execute();
    await cc.database.db.deleteFrom('workflow_steps').where('run_id', '=', started.id).where('index', '=', 1).execute();
    await cc.database.db.updateTable('workflow_runs').set({ state: 'running', finished_at: null }).where('id', '=', started.id).execute();
    await cc.workflows.queue!.enqueue([{ runId: started.id, index: 0, dispatch: 5 }]);
    await pollLong(async () => (step(await run(started.id), 'restart').state === 'unknown' ? true : undefined));
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect((await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'approve' } })).status).toBe(400);
    await api(cc.url, `/api/workflow-runs/${started.id}/steps/restart/decision`, { body: { decision: 'retry' } });
    const done = await pollLong(async () => {
      const r = await run(started.id);
      return r.state === 'succeeded' ? r : undefined;
    });
    expect(step(done, 'restart')).toMatchObject({ state: 'succeeded', attempt: 2, decision: 'retry', decided_by: 'tester' });
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(2);
  });
});

describe('a step left running with no job in Redis (its job failed every attempt, or Redis lost it)', () => {
  // What such a step looks like: `running` in a running run, its job gone from Redis, no worker calling
  // it. The workers stay up throughout: the requeue sweep, not a restart, has to take it up.
  /** A run of `workflow` that succeeded, put back to its first step `running`; resolves once the run is in `state`. */
  async function strandFirstStep(workflow: string, state: string) {
    worker ??= await startInProcessWorker(env);
    const started = await json(await api(cc.url, `/api/workflows/${workflow}/runs`, { body: { input: {} } }));
    await pollLong(async () => ((await run(started.id)).state === 'succeeded' ? true : undefined));
    servers.ecsMock.resetHistory();
    await cc.database.db.updateTable('workflow_steps').set({ state: 'running', output: null, finished_at: null }).where('run_id', '=', started.id).where('index', '=', 0).execute();
    await cc.database.db.deleteFrom('workflow_steps').where('run_id', '=', started.id).where('index', '>', 0).execute();
    await cc.database.db.updateTable('workflow_runs').set({ state: 'running', finished_at: null }).where('id', '=', started.id).execute();
    return pollLong(async () => {
      const r = await run(started.id);
      return r.state === state ? r : undefined;
    });
  }

  it('calls a read-only step again, once, without a restart', async () => {
    servers.ecsMock.on(DescribeServicesCommand).resolves({ services: [ecsService()], failures: [] });
    const done = await strandFirstStep('read', 'succeeded');
    expect(step(done, 'describe')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(servers.ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('leaves a mutating step unknown for a decision, never calling it again by itself', async () => {
    servers.ecsMock.on(UpdateServiceCommand).resolves({ service: ecsService() });
    const waiting = await strandFirstStep('mutate', 'waiting');
    expect(step(waiting, 'restart')).toMatchObject({ state: 'unknown', attempt: 1, error: expect.stringContaining('not called again without a decision') });
    expect(servers.ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});
