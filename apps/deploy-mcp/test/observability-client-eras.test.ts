// deploy-mcp's alarm source speaks 2026-07-28 first and falls back to initialize for a 2025-era
// observability server (the last v1 SDK, which never learned the new revision).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startLegacyMcpServer, type LegacyMcpServer } from '@factory/base-server/testing';
import { createObservabilityClient } from '../src/guard/observability-client.js';

describe('observability client against a 2025-era server', () => {
  let legacy: LegacyMcpServer;
  const answer = { any_in_alarm: true, checked: 1, alarms: [{ name: 'web-5xx', type: 'metric', state: 'ALARM', reason: 'threshold crossed', updated_at: null }], missing: [] };
  beforeAll(async () => {
    legacy = await startLegacyMcpServer([{ name: 'check_alarms', readOnly: true, result: answer }]);
  });
  afterAll(async () => {
    await legacy.close();
  });

  it('probes with server/discover, falls back to initialize, and reads check_alarms', async () => {
    const client = createObservabilityClient({ url: `${legacy.url}/mcp`, timeoutMs: 5_000, version: '1.0.0' });
    try {
      await expect(client.checkAlarms({ names: ['web-5xx'] })).resolves.toEqual(answer);
      expect(legacy.methods[0]).toBe('server/discover');
      expect(legacy.methods).toContain('initialize');
      expect(legacy.methods).toContain('tools/call');
    } finally {
      await client.close();
    }
  });
});
