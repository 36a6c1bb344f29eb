// Tools that change at run time (ToolView): over stdio, in both protocol eras, a real SDK v2 client
// sees only the view's tools, receives notifications/tools/list_changed when the view grows (2025: a
// plain notification; 2026-07-28: on its subscriptions/listen stream), lists again and calls the new
// tool. Over HTTP a service with a view refuses to start.
import { describe, expect, it } from '@jest/globals';
import { Client, InMemoryTransport, type Tool } from '@modelcontextprotocol/client';
import { ConfigError, ToolRegistry, ToolView, createLogger, defineTool, z } from '../src/index.js';
import { echoTool, makeService } from './helpers.js';

const view = () => new ToolView(['reveal']);

/** A discovery tool: shows `echo` in the view it closes over. */
const revealTool = (v: ToolView) =>
  defineTool({
    name: 'reveal',
    title: 'Reveal',
    description: 'Makes the echo tool visible.',
    inputSchema: z.object({}),
    outputSchema: z.object({ added: z.array(z.string()) }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async () => ({ added: v.show(['echo']) }),
  });

async function stdioClient(v: ToolView, options: ConstructorParameters<typeof Client>[1] = {}) {
  const { service } = makeService({ tools: [echoTool, revealTool(v)], toolView: v, stdio: true });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const changes: Tool[][] = [];
  let changed: () => void = () => {};
  const client = new Client(
    { name: 'view-client', version: '1.0.0' },
    { ...options, listChanged: { tools: { debounceMs: 0, onChanged: (err, tools) => { if (!err && tools) changes.push(tools); changed(); } } } },
  );
  await service.serveStdio(serverSide);
  await client.connect(clientSide);
  return {
    client,
    changes,
    nextChange: () => new Promise<void>((resolve) => (changed = resolve)),
    close: async () => {
      await client.close();
      await service.stop();
    },
  };
}

describe('a tool view over stdio', () => {
  it.each([
    ['2025-era (initialize)', {}, 'legacy'],
    ['2026-07-28 (server/discover, subscriptions/listen)', { versionNegotiation: { mode: 'auto' as const } }, 'modern'],
  ])('a %s client sees the view, is told when it grows, and calls the new tool', async (_name, options, era) => {
    const v = view();
    const h = await stdioClient(v, options);
    try {
      expect(h.client.getProtocolEra()).toBe(era);
      expect(h.client.getServerCapabilities()?.tools?.listChanged).toBe(true);
      expect((await h.client.listTools()).tools.map((t) => t.name)).toEqual(['reveal']);
      const hidden = await h.client.callTool({ name: 'echo', arguments: { message: 'too early' } });
      expect(hidden.isError).toBe(true);
      expect((hidden.content as Array<{ text: string }>)[0]?.text).toMatch(/^Unknown tool "echo"/);

      const announced = h.nextChange();
      const revealed = await h.client.callTool({ name: 'reveal', arguments: {} });
      expect(revealed.structuredContent).toEqual({ added: ['echo'] });
      await announced;
      // The client re-listed on the notification, and a new list shows the same.
      expect(h.changes.at(-1)?.map((t) => t.name).sort()).toEqual(['echo', 'reveal']);
      expect((await h.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'reveal']);
      const result = await h.client.callTool({ name: 'echo', arguments: { message: 'now visible' } });
      expect(result.structuredContent).toEqual({ echoed: 'now visible', caller: 'stdio' });
    } finally {
      await h.close();
    }
  });

  it('announces nothing when a change adds no tool', async () => {
    const v = new ToolView(['reveal', 'echo']);
    let calls = 0;
    v.onChange(() => calls++);
    expect(v.show(['echo'])).toEqual([]);
    expect(calls).toBe(0);
    expect(v.show(['echo', 'other', 'other'])).toEqual(['other']);
    expect(calls).toBe(1);
  });
});

describe('a tool view with scopes and where it cannot be kept', () => {
  it('does not serve HTTP: another replica would show the caller other tools', async () => {
    const v = view();
    const { service } = makeService({ tools: [echoTool, revealTool(v)], toolView: v });
    await expect(service.start()).rejects.toThrow(ConfigError);
    await expect(makeService({ tools: [echoTool, revealTool(v)], toolView: v }).service.start()).rejects.toThrow(/served over stdio only/);
  });

  it('lists and calls a tool only when the view shows it and the caller holds its scope', async () => {
    const logger = createLogger({ service: 't', version: '1', level: 'silent' });
    const v = new ToolView(['reveal']);
    const registry = new ToolRegistry({ name: 'test-mcp', version: '1' }, [echoTool, revealTool(v)], logger, undefined, { view: v });
    const reader = { keyName: 'reader', authenticated: true, scopes: ['test:read'] };
    const ctx = { principal: reader, requestId: 'r', logger, signal: new AbortController().signal, progress: async () => {} };
    expect(registry.listFor(reader).tools.map((t) => t.name)).toEqual([]); // reveal needs test:write
    expect((await registry.call('echo', { message: 'x' }, ctx)).isError).toBe(true);
    v.show(['echo']);
    expect(registry.listFor(reader).tools.map((t) => t.name)).toEqual(['echo']);
    expect(registry.listFor({ keyName: 'all', authenticated: true }).tools.map((t) => t.name)).toEqual(['echo', 'reveal']);
    expect(registry.missingScope('reveal', reader)).toBe('test:write');
    expect((await registry.call('echo', { message: 'x' }, ctx)).structuredContent).toEqual({ echoed: 'x', caller: 'reader' });
  });

  it('names the tools a view holds that the registry does not have', () => {
    const logger = createLogger({ service: 't', version: '1', level: 'silent' });
    expect(() => new ToolRegistry({ name: 't', version: '1' }, [echoTool], logger, undefined, { view: new ToolView(['echo', 'missing']) })).toThrow(
      'the tool view names unknown tools: missing',
    );
  });
});
