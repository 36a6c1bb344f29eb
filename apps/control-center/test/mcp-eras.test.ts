// The control center as an MCP client of both protocol eras: it negotiates 2026-07-28 first
// (server/discover) and falls back to initialize against a server that predates it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startLegacyMcpServer, type LegacyMcpServer } from '@factory/base-server/testing';
import { fetchCatalog, runProbe } from '../src/catalog/mcp-catalog.js';
import { startFixture, UPSTREAM_KEY, type Fixture } from './helpers.js';

describe('MCP catalog and probe across protocol eras', () => {
  let modern: Fixture;
  let legacy: LegacyMcpServer;
  beforeAll(async () => {
    modern = await startFixture('modern-mcp', { tools: true });
    legacy = await startLegacyMcpServer([
      { name: 'list_things', readOnly: true, result: { things: ['old'] } },
      { name: 'delete_thing', readOnly: false, result: { deleted: true } },
    ]);
  });
  afterAll(async () => {
    await modern.stop();
    await legacy.close();
  });

  it('reads a base-server catalog over 2026-07-28', async () => {
    const catalog = await fetchCatalog({ name: 'modern-mcp', url: modern.url } as never, UPSTREAM_KEY, 5_000);
    expect(catalog.error).toBeNull();
    expect(catalog.era).toBe('modern');
    expect(catalog.tools.map((t) => t.name).sort()).toEqual(['delete_thing', 'list_things']);
  });

  it('falls back to initialize against a 2025-era server, and probes it', async () => {
    const entry = { name: 'legacy-mcp', url: legacy.url, probe: { tool: 'list_things', arguments: {} } } as never;
    const catalog = await fetchCatalog(entry, undefined, 5_000);
    expect(catalog.error).toBeNull();
    expect(catalog.era).toBe('legacy');
    expect(catalog.writeMode).toBe('read-write');
    expect(legacy.methods[0]).toBe('server/discover');
    expect(legacy.methods).toContain('initialize');
    const probe = await runProbe(entry, undefined, 5_000, catalog);
    expect(probe).toMatchObject({ success: true, tool: 'list_things' });
  });
});
