import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { z, ShutdownRegistry, createLogger, parseConfig, baseConfigSchema, envBoolean, ConfigError } from '../src/index.js';
import { makeService, request, auth, deferred, until } from './helpers.js';

describe('graceful shutdown', () => {
  it('flips /ready to 503 at once, keeps /health 200, lets in-flight requests finish, then runs closers in order', async () => {
    const gate = deferred();
    const closed: string[] = [];
    const { service } = makeService(
      {
        routes: (api) =>
          api.route({
            method: 'get',
            path: '/v1/slow',
            summary: 'Waits for the test',
            handler: async () => {
              await gate.promise;
              return { done: true };
            },
          }),
        onShutdown: [
          { name: 'queue', close: () => void closed.push('queue') },
          { name: 'database', close: () => void closed.push('database') },
        ],
      },
      { SHUTDOWN_DELAY_MS: '2000' },
    );
    const { url } = await service.start();
    expect((await request(`${url}/ready`)).status).toBe(200);
    let inFlightDone = false;
    const inFlight = request(`${url}/v1/slow`, { headers: auth() }).then((r) => {
      inFlightDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = service.stop();
    expect(service.state).toBe('stopping');
    const ready = await request(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, errors: ['service is shutting down'] });
    expect((await request(`${url}/health`)).status).toBe(200);
    expect(inFlightDone).toBe(false);
    expect(closed).toEqual([]);
    gate.resolve();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ done: true });
    expect(await stopping).toBe(true);
    expect(closed).toEqual(['queue', 'database']);
    expect(service.state).toBe('stopped');
    await expect(request(`${url}/health`)).rejects.toThrow();
  });

  it('closes a keep-alive connection whose request was in flight at stop as soon as it is answered, and runs every closer in time', async () => {
    const gate = deferred();
    const arrived = deferred();
    const closed: string[] = [];
    const { service } = makeService(
      {
        routes: (api) =>
          api.route({
            method: 'get',
            path: '/v1/slow',
            summary: 'Waits for the test',
            handler: async () => {
              arrived.resolve();
              await gate.promise;
              return { done: true };
            },
          }),
        onShutdown: [{ name: 'database', close: () => void closed.push('database') }],
      },
      // Far below keepAliveTimeout (65 s): a lingering keep-alive connection makes stop() give up.
      { SHUTDOWN_TIMEOUT_MS: '3000' },
    );
    const { url } = await service.start();
    const agent = new HttpAgent({ keepAlive: true });
    try {
      const answered = new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${url}/v1/slow`, { agent, headers: auth() }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      await arrived.promise;
      const stopping = service.stop();
      await new Promise((r) => setTimeout(r, 50));
      expect(closed).toEqual([]);
      gate.resolve();
      expect(await answered).toBe(200);
      expect(await stopping).toBe(true);
      expect(closed).toEqual(['database']);
    } finally {
      agent.destroy();
    }
  });

  it('gives up on a closer that hangs after the hard timeout and reports it', async () => {
    const logger = createLogger({ service: 't', version: '1', level: 'silent' });
    const registry = new ShutdownRegistry(logger);
    const order: string[] = [];
    registry.add({ name: 'first', close: () => void order.push('first') });
    registry.add({ name: 'stuck', close: () => new Promise<void>(() => order.push('stuck')) });
    registry.add({ name: 'never', close: () => void order.push('never') });
    expect(await registry.run(100)).toBe(false);
    expect(order).toEqual(['first', 'stuck']);
    // Idempotent: a second SIGTERM does not run the closers again.
    expect(await registry.run(100)).toBe(false);
    expect(order).toEqual(['first', 'stuck']);
  });

  it('keeps running the remaining closers when one fails', async () => {
    const logger = createLogger({ service: 't', version: '1', level: 'silent' });
    const registry = new ShutdownRegistry(logger);
    const order: string[] = [];
    registry.add({
      name: 'broken',
      close: () => {
        throw new Error('boom');
      },
    });
    registry.add({ name: 'after', close: () => void order.push('after') });
    expect(await registry.run(1_000)).toBe(true);
    expect(order).toEqual(['after']);
  });

  it('sets keep-alive above a load balancer idle timeout and bounds header time', async () => {
    const { service } = makeService();
    await service.start();
    try {
      expect(service.server?.keepAliveTimeout).toBe(65_000);
      expect(service.server?.headersTimeout).toBeGreaterThan(65_000);
    } finally {
      await service.stop();
    }
  });

  it('stops even when start-up fails, and reports the failure', async () => {
    const { service } = makeService({
      onStart: async () => {
        throw new Error('migrations failed');
      },
    });
    await expect(service.start()).rejects.toThrow('migrations failed');
    await until(() => service.state === 'stopped', 'the service to stop');
  });
});

describe('configuration', () => {
  const fixture = fileURLToPath(new URL('./fixtures/bad-config.mjs', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [fixture], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  it('stops start-up with exit 1 and one line naming the bad variable and what is expected', () => {
    const r = run({ PORT: 'eighty' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Invalid configuration: PORT: expected a whole number from 0 to 65535, got "eighty"\n');
  });

  it('names enum variables with their allowed values', () => {
    const r = run({ LOG_LEVEL: 'loud' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Invalid configuration: LOG_LEVEL: .*"info"/);
  });

  it('starts with defaults when the environment is valid', () => {
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('started\n');
  });

  it('parses booleans strictly: "false" is false, not truthy', () => {
    const schema = z.object({ FLAG: envBoolean(true) });
    expect(parseConfig(schema, { FLAG: 'false' }).FLAG).toBe(false);
    expect(parseConfig(schema, { FLAG: '1' }).FLAG).toBe(true);
    expect(parseConfig(schema, {}).FLAG).toBe(true);
    expect(() => parseConfig(schema, { FLAG: 'maybe' })).toThrow(ConfigError);
  });

  it('parses API keys with names, rejects short keys, and freezes the result', () => {
    const config = parseConfig(baseConfigSchema, { API_KEYS: 'ci:abcdefghijklmnop0123, qrstuvwxyz0123456789' });
    expect(config.API_KEYS).toEqual([
      { name: 'ci', key: 'abcdefghijklmnop0123' },
      { name: 'key2', key: 'qrstuvwxyz0123456789' },
    ]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => parseConfig(baseConfigSchema, { API_KEYS: 'short' })).toThrow('API_KEYS: key "key1" is shorter than 16 characters');
  });
});
