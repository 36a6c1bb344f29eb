import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@factory/base-server';
import { createAwsClients } from '../src/aws/clients.js';
import { parseDeployConfig } from '../src/config.js';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { serviceFixture, startDeploy } from './helpers.js';

describe('deploy-mcp configuration', () => {
  it('defaults to port 3002, read-only, with no allow-list', () => {
    const config = parseDeployConfig({});
    expect(config).toMatchObject({ PORT: 3002, DEPLOY_ALLOW_WRITE: false, DEPLOY_ALLOWED_SERVICES: [], DEPLOY_MIN_DESIRED_COUNT: 1, DEPLOY_MAX_DESIRED_COUNT: 10 });
  });

  it('parses DEPLOY_ALLOW_WRITE strictly: "false" is off, "true" is on, anything else is an error', () => {
    expect(parseDeployConfig({ DEPLOY_ALLOW_WRITE: 'false' }).DEPLOY_ALLOW_WRITE).toBe(false);
    expect(parseDeployConfig({ DEPLOY_ALLOW_WRITE: 'true', DEPLOY_ALLOWED_SERVICES: 'prod/web' }).DEPLOY_ALLOW_WRITE).toBe(true);
    expect(() => parseDeployConfig({ DEPLOY_ALLOW_WRITE: 'maybe' })).toThrow(/DEPLOY_ALLOW_WRITE/);
  });

  it('refuses to enable writes without an allow-list', () => {
    expect(() => parseDeployConfig({ DEPLOY_ALLOW_WRITE: 'true' })).toThrow(
      new ConfigError('Invalid configuration: DEPLOY_ALLOWED_SERVICES: required when DEPLOY_ALLOW_WRITE=true (e.g. "prod/web,staging/*")'),
    );
  });

  it('accepts cluster/service and cluster/* entries and rejects anything broader or malformed', () => {
    expect(parseDeployConfig({ DEPLOY_ALLOWED_SERVICES: 'prod/web, staging/*' }).DEPLOY_ALLOWED_SERVICES).toEqual(['prod/web', 'staging/*']);
    for (const bad of ['*/*', 'prod', 'prod/web/extra', 'arn:aws:ecs:eu-west-1:1:service/prod/web']) {
      expect(() => parseDeployConfig({ DEPLOY_ALLOWED_SERVICES: bad })).toThrow(/DEPLOY_ALLOWED_SERVICES/);
    }
  });

  it('refuses scale bounds that contradict each other', () => {
    expect(() => parseDeployConfig({ DEPLOY_MIN_DESIRED_COUNT: '5', DEPLOY_MAX_DESIRED_COUNT: '2' })).toThrow(/DEPLOY_MIN_DESIRED_COUNT/);
  });
});

describe('AWS clients', () => {
  it('use the configured connect and request timeouts and the standard retry strategy', async () => {
    const config = parseDeployConfig({ AWS_REGION: 'eu-west-1', AWS_CONNECT_TIMEOUT_MS: '1234', AWS_REQUEST_TIMEOUT_MS: '5678', AWS_MAX_ATTEMPTS: '4' });
    const { ecs, sts } = createAwsClients(config);
    try {
      for (const client of [ecs, sts]) {
        expect(await client.config.maxAttempts()).toBe(4);
        expect(client.config.retryMode).toBe('standard');
        // The SDK's NodeHttpHandler keeps its resolved options in `configProvider`.
        const handlerConfig = await (client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
        expect(handlerConfig).toMatchObject({ connectionTimeout: 1234, requestTimeout: 5678 });
      }
    } finally {
      ecs.destroy();
      sts.destroy();
    }
  });
});

describe('audit database without DATABASE_URL', () => {
  it('falls back to an embedded PGlite database in PGLITE_DATA_DIR, migrated and append-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-mcp-pglite-'));
    const h = await startDeploy({ DEPLOY_ALLOW_WRITE: 'true', DEPLOY_ALLOWED_SERVICES: 'prod/web', DATABASE_URL: '', PGLITE_DATA_DIR: dir });
    try {
      const database = h.deploy.database!;
      expect(database.kind).toBe('pglite');
      await database.db
        .insertInto('deploy_audit')
        .values({ principal: 'tester', request_id: 'r1', action: 'restart_service', cluster: 'prod', service: 'web', before: '{}', after: '{}', result: 'succeeded', details: '{}' })
        .execute();
      await expect(database.db.deleteFrom('deploy_audit').execute()).rejects.toThrow(/append-only/);
      // A real write through the tool: lock and audit record share PGlite's single connection.
      h.ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceFixture()] });
      h.ecsMock.on(UpdateServiceCommand).resolves({ service: serviceFixture() });
      const write = await h.call('scale_service', { cluster: 'prod', service: 'web', desired_count: 3, expected_task_definition: 'web:7' });
      expect(write.isError).toBeFalsy();
      const result = await h.call('list_audit_records', {});
      expect(result.structuredContent).toMatchObject({
        records: [
          { principal: 'tester', action: 'scale_service', result: 'succeeded' },
          { principal: 'tester', action: 'restart_service', result: 'succeeded' },
        ],
      });
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
