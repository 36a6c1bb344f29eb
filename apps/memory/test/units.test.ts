// Pure pieces: configuration, the circuit breaker, job ids.
import { describe, expect, it } from '@jest/globals';
import { parseMemoryConfig, parseWorkerConfig } from '../src/config.js';
import { CircuitOpenError, createCircuitBreaker } from '../src/compression/circuit-breaker.js';
import { compressionJobId } from '../src/compression/job-id.js';
import { createAgentScope } from '../src/access/agent-scope.js';

describe('configuration', () => {
  it('defaults the API to port 3004 and the worker to 3005 (WORKER_PORT), with the bull queue prefix', () => {
    expect(parseMemoryConfig({}).PORT).toBe(3004);
    expect(parseWorkerConfig({ PORT: '3004' }).PORT).toBe(3005);
    expect(parseWorkerConfig({ WORKER_PORT: '4005' }).PORT).toBe(4005);
    expect(parseMemoryConfig({}).QUEUE_PREFIX).toBe('bull');
  });
  it('parses agent scopes and rejects a malformed entry with a message naming the variable', () => {
    expect(parseMemoryConfig({ AGENT_SCOPES: 'alice=a|b; bob=*' }).AGENT_SCOPES).toEqual({ alice: ['a', 'b'], bob: ['*'] });
    expect(() => parseMemoryConfig({ AGENT_SCOPES: 'alice' })).toThrow(/AGENT_SCOPES: expected "keyName=agent1\|agent2"/);
    expect(() => parseMemoryConfig({ LLM_BASE_URL: 'not a url' })).toThrow(/LLM_BASE_URL/);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, rejects while open, lets one trial through after the cooldown', async () => {
    let now = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000, now: () => now });
    const fail = () => breaker.run(() => Promise.reject(new Error('boom')));
    await expect(fail()).rejects.toThrow('boom');
    expect(breaker.state).toBe('closed');
    await expect(fail()).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    await expect(breaker.run(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    now = 1_000;
    expect(breaker.state).toBe('half_open');
    await expect(fail()).rejects.toThrow('boom'); // the trial fails: open again
    expect(breaker.state).toBe('open');
    now = 2_000;
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
  it('does not count failures the caller marks as not the dependency’s fault', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000 });
    await expect(breaker.run(() => Promise.reject(new Error('bad request')), () => false)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });
});


describe('job ids', () => {
  it('derives the same id from the same (agent, session, through-turn) and different ids otherwise', () => {
    const a = compressionJobId({ agentId: 'a', sessionId: 's', throughTurnId: '10' });
    expect(a).toMatch(/^cmp-[a-f0-9]{32}$/);
    expect(compressionJobId({ agentId: 'a', sessionId: 's', throughTurnId: '10' })).toBe(a);
    expect(compressionJobId({ agentId: 'a', sessionId: 's', throughTurnId: '11' })).not.toBe(a);
    expect(compressionJobId({ agentId: 'a:s', sessionId: '', throughTurnId: '10' })).not.toBe(a);
  });
});

describe('AGENT_SCOPES bindings', () => {
  const scope = createAgentScope({ alice: ['agent-a'], 'sub:alice': ['agent-o'], 'client:ci-bot': ['agent-ci'] });
  it('binds API keys by name, OAuth callers by subject, then by client, and never an OAuth subject by a key name', () => {
    expect(scope.allows({ keyName: 'alice', authenticated: true, via: 'api_key' }, 'agent-a')).toBe(true);
    expect(scope.allows({ keyName: 'alice', authenticated: true, via: 'api_key' }, 'agent-o')).toBe(false);
    const oauthAlice = { keyName: 'alice', authenticated: true, via: 'oauth' as const, clientId: 'ci-bot', scopes: [] };
    expect(scope.allows(oauthAlice, 'agent-o')).toBe(true);
    expect(scope.allows(oauthAlice, 'agent-a')).toBe(false);
    const bot = { keyName: 'svc-123', authenticated: true, via: 'oauth' as const, clientId: 'ci-bot', scopes: [] };
    expect(scope.allows(bot, 'agent-ci')).toBe(true);
    expect(scope.allows(bot, 'agent-a')).toBe(false);
  });
});
