import { createService, parseConfig, baseConfigSchema, createLogger, defineTool, z, type ServiceOptions } from '../src/index.js';
import { captureLogs } from '../src/testing.js';

export const KEY = 'test-key-0123456789abcdef';
export const OTHER_KEY = 'other-key-0123456789abcdef';

export function testConfig(env: Record<string, string> = {}) {
  return parseConfig(baseConfigSchema, { PORT: '0', LOG_LEVEL: 'info', API_KEYS: `tester:${KEY},other:${OTHER_KEY}`, ...env });
}

export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the message it was given.',
  inputSchema: z.object({ message: z.string().min(1).max(1000) }),
  outputSchema: z.object({ echoed: z.string(), caller: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ message }, ctx) => ({ echoed: message, caller: ctx.principal.keyName }),
});

export const failingTool = defineTool({
  name: 'explode',
  title: 'Explode',
  description: 'Always throws, to prove errors become isError results.',
  inputSchema: z.object({}),
  outputSchema: z.object({}),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async () => {
    throw new Error('the widget broke\n    at secret/stack/frame.js:1:1');
  },
});

export function makeService(overrides: Partial<ServiceOptions> = {}, env: Record<string, string> = {}) {
  const logs = captureLogs();
  const config = testConfig(env);
  const logger = createLogger({ service: 'test-svc', version: '9.9.9', level: config.LOG_LEVEL, destination: logs.stream });
  const service = createService({ name: 'test-svc', version: '9.9.9', config, logger, tools: [echoTool, failingTool], ...overrides });
  return { service, logs, config };
}
