import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
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

export const lyingTool = defineTool({
  name: 'lie',
  title: 'Lie',
  description: 'Returns output that does not match its schema.',
  inputSchema: z.object({}),
  outputSchema: z.object({ count: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async () => ({ count: 'many' }) as unknown as { count: number },
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

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A JSON body, or the last message of an SSE stream (how the MCP SDK answers 2025-era POSTs). */
export function parseJsonOrSse(text: string): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!/^(event|data|id|:)/.test(text)) return JSON.parse(text);
  const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  return JSON.parse(data.at(-1) ?? 'null');
}

/** A raw HTTP request (node:http) so tests control every header, Host included. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => parseJsonOrSse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export const auth = (key = KEY) => ({ Authorization: `Bearer ${key}` });

/** Polls until `fn` returns a truthy value (robust on a loaded machine; no fixed sleeps). */
type Falsy = undefined | null | false | 0 | '';
export async function until<T>(fn: () => T | Falsy | Promise<T | Falsy>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const deferred = <T = void>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};
