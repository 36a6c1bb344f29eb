import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ReadinessCheck } from '../src/index.js';
import { makeService, request, deferred, until, type HttpResult } from './helpers.js';

const services: { stop: () => Promise<boolean> }[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

async function started(checks: ReadinessCheck[], env: Record<string, string> = {}) {
  const { service } = makeService({ checks }, env);
  services.push(service);
  const { url } = await service.start();
  return { service, url };
}

describe('GET /ready', () => {
  it('answers 200 with the DESIGN.md body when every required dependency is ok', async () => {
    const { url } = await started([
      { name: 'database', required: true, run: async () => undefined },
      { name: 'queue', required: false, run: async () => ({ details: { depth: 3 } }) },
    ]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['ready', 'service', 'version', 'timestamp', 'checks', 'dependencies']);
    expect(body).toMatchObject({
      ready: true,
      service: 'test-svc',
      version: '9.9.9',
      checks: { database: { status: 'ok' }, queue: { status: 'ok', details: { depth: 3 } } },
      dependencies: { required: ['database'], optional: ['queue'] },
    });
    expect(typeof body.checks.database.latency_ms).toBe('number');
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(body.errors).toBeUndefined();
  });

  it('is 503 when a required dependency fails, with the failure in errors and never a stack trace', async () => {
    const { url } = await started([
      {
        name: 'database',
        required: true,
        run: async () => {
          throw new Error('connection refused (is Postgres running?)\n    at Socket.connect (net.js:1:1)');
        },
      },
    ]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(503);
    const body = res.json();
    expect(body.ready).toBe(false);
    expect(body.checks.database).toMatchObject({ status: 'error', message: 'connection refused (is Postgres running?)' });
    expect(body.errors).toEqual(['database check failed: connection refused (is Postgres running?)']);
    expect(res.text).not.toContain('net.js');
  });

  it('stays 200 when only an optional dependency fails or is not configured', async () => {
    const { url } = await started([
      { name: 'database', required: true, run: () => undefined },
      { name: 'llm', required: false, run: () => ({ status: 'not_configured', message: 'no LLM configured' }) },
      {
        name: 'queue',
        required: false,
        run: () => {
          throw new Error('redis down');
        },
      },
    ]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.checks.llm).toEqual({ status: 'not_configured', message: 'no LLM configured' });
    expect(body.checks.queue.status).toBe('error');
    expect(body.errors).toEqual(['queue check failed: redis down']);
  });

  it('is 503 when a required dependency is not configured', async () => {
    const { url } = await started([{ name: 'database', required: true, run: () => ({ status: 'not_configured', message: 'DATABASE_URL is not set' }) }]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(503);
    expect(res.json().errors).toEqual(['database check failed: DATABASE_URL is not set']);
  });

  it('answers with error for a check that hangs and ignores its abort signal, and aborts that signal', async () => {
    let signal: AbortSignal | undefined;
    const { url } = await started([
      {
        name: 'hanging',
        required: true,
        timeoutMs: 200,
        run: (s) => {
          signal = s;
          return new Promise<void>(() => undefined); // never settles, never looks at the signal
        },
      },
      { name: 'fine', required: false, run: () => undefined },
    ]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(503);
    const body = res.json();
    expect(body.checks.hanging).toMatchObject({ status: 'error', message: 'hanging did not answer within 200 ms' });
    expect(body.checks.fine.status).toBe('ok');
    expect(signal?.aborted).toBe(true);
  });

  it('runs checks in parallel: two slow checks both finish within one evaluation', async () => {
    const running: string[] = [];
    let maxConcurrent = 0;
    const slow = (name: string): ReadinessCheck => ({
      name,
      required: true,
      run: async () => {
        running.push(name);
        maxConcurrent = Math.max(maxConcurrent, running.length);
        await new Promise((r) => setTimeout(r, 100));
        running.splice(running.indexOf(name), 1);
      },
    });
    const { url } = await started([slow('a'), slow('b'), slow('c')]);
    expect((await request(`${url}/ready`)).status).toBe(200);
    expect(maxConcurrent).toBe(3);
  });

  it('shares one evaluation among concurrent requests', async () => {
    let runs = 0;
    const gate = deferred();
    const { url } = await started([
      {
        name: 'database',
        required: true,
        run: async () => {
          runs++;
          await gate.promise;
        },
      },
    ]);
    const pending = Promise.all(Array.from({ length: 5 }, () => request(`${url}/ready`)));
    await until(() => runs === 1, 'the first evaluation to start');
    await new Promise((r) => setTimeout(r, 50));
    gate.resolve();
    const results: HttpResult[] = await pending;
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(runs).toBe(1);
  });

  it('reuses a quota-costing check result for minIntervalMs and says when it was measured', async () => {
    let runs = 0;
    const { url } = await started([{ name: 'github_api', required: true, minIntervalMs: 60_000, run: () => void runs++ }]);
    const first = (await request(`${url}/ready`)).json();
    const second = (await request(`${url}/ready`)).json();
    expect(runs).toBe(1);
    expect(first.checks.github_api.checked_at).toBeUndefined();
    expect(typeof second.checks.github_api.checked_at).toBe('string');
    expect(Date.parse(second.checks.github_api.checked_at)).toBeLessThanOrEqual(Date.now());
  });

  it('reports warning (still ready) when a dependency answers slower than the latency threshold', async () => {
    const { url } = await started([{ name: 'queue', required: true, warnLatencyMs: 20, run: () => new Promise((r) => setTimeout(r, 80)) }]);
    const res = await request(`${url}/ready`);
    expect(res.status).toBe(200);
    expect(res.json().checks.queue).toMatchObject({ status: 'warning', message: expect.stringMatching(/^queue latency \d+ ms \(above 20 ms\)$/) });
  });

  it('is 503 before start-up has finished while /health is already 200', async () => {
    const gate = deferred();
    const { service } = makeService({ checks: [], onStart: () => gate.promise });
    services.push(service);
    const starting = service.start();
    await until(() => service.server?.listening, 'the port to open');
    const port = (service.server!.address() as AddressInfo).port;
    const ready = await request(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, errors: ['service is starting'] });
    expect((await request(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    gate.resolve();
    await starting;
    expect((await request(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });

  it('exports the latest check status and duration as metrics', async () => {
    const { service, url } = await started([{ name: 'database', required: true, run: () => undefined }]);
    await request(`${url}/ready`);
    const text = await service.metrics.registry.metrics();
    expect(text).toMatch(/readiness_check_status\{dependency="database",app="test-svc",version="9.9.9"\} 1/);
    expect(text).toMatch(/readiness_check_duration_seconds_count\{[^}]*dependency="database"[^}]*\} 1/);
  });
});
