// deploy-mcp as an MCP client of observability-mcp: asks `check_alarms` whether guard alarms are firing.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fetchWithOwnSignal, withDeadline, z } from '@factory/base-server';

/** The structuredContent contract of observability-mcp's `check_alarms`. */
export const checkAlarmsResultSchema = z.object({
  any_in_alarm: z.boolean(),
  checked: z.number(),
  alarms: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['metric', 'composite']),
      state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.string(),
      updated_at: z.string().nullable(),
    }),
  ),
  missing: z.array(z.string()),
});
export type CheckAlarmsResult = z.infer<typeof checkAlarmsResultSchema>;

export interface AlarmQuery {
  names?: string[] | undefined;
  prefix?: string | undefined;
}

/** Why the guard could not get an answer; the guard turns this into a refusal (fail closed). */
export class ObservabilityUnavailable extends Error {
  override readonly name = 'ObservabilityUnavailable';
}

export interface AlarmSource {
  readonly url: string;
  checkAlarms(query: AlarmQuery, signal?: AbortSignal): Promise<CheckAlarmsResult>;
  close(): Promise<void>;
}

/**
 * One MCP client, connected on first use and reused: observability-mcp is stateless, so the connection
 * carries no session that could expire. When a call fails at the transport level (the peer restarted,
 * a keep-alive socket died), the client is dropped and the call is tried once more on a fresh one.
 */
export function createObservabilityClient(options: { url: string; apiKey?: string | undefined; timeoutMs: number; version: string }): AlarmSource {
  const headers: Record<string, string> = options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {};
  let connected: Promise<Client> | undefined;

  const connect = (signal?: AbortSignal): Promise<Client> => {
    connected ??= (async () => {
      // Speaks the 2026-07-28 revision first (server/discover) and falls back to initialize for 2025-era servers.
      const client = new Client({ name: 'deploy-mcp', version: options.version }, { versionNegotiation: { mode: 'auto' } });
      const transport = new StreamableHTTPClientTransport(new URL(options.url), {
        requestInit: { headers },
        // One connection serves every guard call: each request gets its own abort signal (see fetchWithOwnSignal).
        fetch: fetchWithOwnSignal(),
      });
      await client.connect(transport, { timeout: options.timeoutMs, ...(signal ? { signal } : {}) });
      return client;
    })();
    return connected;
  };
  const drop = async () => {
    const stale = connected;
    connected = undefined;
    await stale?.then((c) => c.close()).catch(() => undefined);
  };

  // Bounded by withDeadline as well as the SDK's own request timeout: a peer that accepts the
  // connection and never answers ends the call on time.
  function callOnce(args: Record<string, unknown>, signal?: AbortSignal) {
    return withDeadline(
      options.timeoutMs,
      async (bounded) => {
        const client = await connect(bounded);
        return client.callTool({ name: 'check_alarms', arguments: args }, { timeout: options.timeoutMs, signal: bounded });
      },
      { signal, message: `observability-mcp did not answer within ${options.timeoutMs} ms` },
    );
  }

  return {
    url: options.url,
    async checkAlarms(query, signal) {
      const args: Record<string, unknown> = {};
      if (query.names?.length) args.names = query.names;
      if (query.prefix) args.prefix = query.prefix;
      let result: Awaited<ReturnType<typeof callOnce>>;
      try {
        try {
          result = await callOnce(args, signal);
        } catch {
          await drop();
          result = await callOnce(args, signal);
        }
      } catch (err) {
        await drop();
        const message = err instanceof Error ? (err.message.split('\n', 1)[0] ?? err.message) : String(err);
        throw new ObservabilityUnavailable(message, { cause: err });
      }
      if (result.isError) {
        const text = Array.isArray(result.content) ? result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ') : '';
        throw new ObservabilityUnavailable(`check_alarms failed: ${text || 'no message'}`);
      }
      const parsed = checkAlarmsResultSchema.safeParse(result.structuredContent);
      if (!parsed.success) throw new ObservabilityUnavailable('check_alarms answered in an unexpected shape');
      return parsed.data;
    },
    close: drop,
  };
}
