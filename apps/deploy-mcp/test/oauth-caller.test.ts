// The caller of a write is known everywhere when it signs in with OAuth: a token from a local issuer
// (real JWKS, real verification) restarts a service; the audit record, the write's log line and the
// access log name the token's subject and client.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import { startTestIssuer, type TestIssuer } from '@factory/base-server/testing';
import { DATABASE_URL, serviceFixture, startDeploy, type Harness } from './helpers.js';

const AUDIENCE = 'https://deploy.example.test/mcp';

describe('deploy-mcp with an OAuth caller', () => {
  let issuer: TestIssuer;
  let h: Harness;
  let pool: pg.Pool;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    h = await startDeploy({
      DEPLOY_ALLOW_WRITE: 'true',
      DEPLOY_ALLOWED_SERVICES: 'prod/web',
      OAUTH_ISSUER: issuer.issuer,
      OAUTH_AUDIENCE: AUDIENCE,
    });
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  });
  afterAll(async () => {
    await h.close();
    await pool.end();
    await issuer.close();
  });

  it('records the token subject as the principal and its client in the audit record and the logs', async () => {
    h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
    h.ecsMock.on(UpdateServiceCommand).resolves({ service: serviceFixture() });
    const token = await issuer.token({ audience: AUDIENCE, scope: 'deploy:read deploy:write', subject: 'alice@example.com', clientId: 'claude-code' });
    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      const result = await client.callTool({ name: 'restart_service', arguments: { cluster: 'prod', service: 'web', expected_task_definition: 'web:7' } });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }

    const { rows } = await pool.query(`select principal, action, details from ${h.schema}.deploy_audit`);
    expect(rows).toEqual([{ principal: 'alice@example.com', action: 'restart_service', details: expect.objectContaining({ caller: { via: 'oauth', client_id: 'claude-code' } }) }]);

    const lines = h.logs.lines();
    expect(lines.find((l) => l.msg === 'deploy write executed')).toMatchObject({ principal: 'alice@example.com' });
    const access = lines.filter((l) => l.msg === 'request completed' && (l.req as { url?: string } | undefined)?.url === '/mcp');
    // (The harness's own client signed in with the API key "tester"; its lines carry no client id.)
    const alices = access.filter((l) => l.principal === 'alice@example.com');
    expect(alices.length).toBeGreaterThan(0);
    for (const line of alices) expect(line.client_id).toBe('claude-code');
    expect(access.filter((l) => l.principal === 'tester').every((l) => l.client_id === undefined)).toBe(true);
    // The token itself is never logged.
    expect(h.logs.text()).not.toContain(token);
  });
});
