// The MCP tools, as data. Descriptions are written for the model that calls them.
import { defineTool, z, type AnyTool } from '@factory/base-server';
import type { MemoryOperations } from '../memory/memory-operations.js';
import {
  agentIdSchema,
  sessionIdSchema,
  roleSchema,
  contentSchema,
  metadataSchema,
  turnInputSchema,
  recentLimitSchema,
  maxTokensSchema,
  searchQuerySchema,
  searchLimitSchema,
  jobIdSchema,
  idempotencyKeySchema,
  retentionDaysSchema,
} from '../turns/inputs.js';
import * as out from './schemas.js';

const write = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;
const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** Changing how long an agent's memory is kept is the operator's promise, not the agent's: its own scope. */
export const RETENTION_ADMIN_SCOPE = 'memory:admin';

export function createMemoryTools(ops: MemoryOperations, limits: { maxContentChars: number; maxBatchTurns: number }): AnyTool[] {
  return [
    defineTool({
      name: 'store_memory',
      title: 'Store a conversation turn',
      description:
        'Stores one turn of a conversation (what the user, assistant, system or a tool said) in durable memory. ' +
        'Call it for every turn you want to remember; nothing is ever dropped. Returns the new memory_id. ' +
        'Use store_memories to store several turns of one session at once.',
      inputSchema: z.object({
        agent_id: agentIdSchema,
        session_id: sessionIdSchema,
        role: roleSchema,
        content: contentSchema(limits.maxContentChars),
        metadata: metadataSchema.optional(),
        idempotency_key: idempotencyKeySchema.optional(),
      }),
      outputSchema: out.storeResult,
      annotations: write,
      handler: async (a, ctx) => {
        const stored = await ops.store(ctx.principal, a.agent_id, a.session_id, [{ role: a.role, content: a.content, metadata: a.metadata }], a.idempotency_key);
        return { memory_id: stored.ids[0] ?? '', stored: true as const };
      },
    }),
    defineTool({
      name: 'store_memories',
      title: 'Store several conversation turns',
      description:
        `Stores up to ${limits.maxBatchTurns} turns of one session, in order, all or nothing (one transaction). ` +
        'Use it to import a conversation or to save several turns at once. Returns the memory_ids in the same order.',
      inputSchema: z.object({
        agent_id: agentIdSchema,
        session_id: sessionIdSchema,
        turns: z.array(turnInputSchema(limits.maxContentChars)).min(1).max(limits.maxBatchTurns).describe('The turns, oldest first.'),
        idempotency_key: idempotencyKeySchema.optional(),
      }),
      outputSchema: out.storeBatchResult,
      annotations: write,
      handler: async (a, ctx) => {
        const stored = await ops.store(ctx.principal, a.agent_id, a.session_id, a.turns, a.idempotency_key);
        return { memory_ids: stored.ids, stored: stored.ids.length };
      },
    }),
    defineTool({
      name: 'get_recent_turns',
      title: 'Get the most recent turns',
      description:
        'Returns the newest turns of a session verbatim, oldest first. Use it when you need the exact recent wording; ' +
        'for a whole long conversation use get_compressed_memory. An unknown agent or session returns no turns.',
      inputSchema: z.object({ agent_id: agentIdSchema, session_id: sessionIdSchema, limit: recentLimitSchema }),
      outputSchema: out.recentResult,
      annotations: read,
      handler: async (a, ctx) => ops.recentTurns(ctx.principal, a.agent_id, a.session_id, a.limit),
    }),
    defineTool({
      name: 'get_compressed_memory',
      title: 'Get the compressed conversation memory',
      description:
        'Returns what you need to continue a long conversation within your context window: the latest summary of the ' +
        'older turns plus every turn after it verbatim, fitted to max_tokens (the newest turns are kept; omitted_turns ' +
        'says how many older unsummarised turns did not fit). stale is true when turns exist that no summary covers yet; ' +
        'pending_job_id then names a compression already queued. An unknown agent or session returns summary null and no turns.',
      inputSchema: z.object({ agent_id: agentIdSchema, session_id: sessionIdSchema, max_tokens: maxTokensSchema }),
      outputSchema: out.compressedResult,
      annotations: read,
      handler: async (a, ctx) => ops.compressedMemory(ctx.principal, a.agent_id, a.session_id, a.max_tokens),
    }),
    defineTool({
      name: 'compress_memory',
      title: 'Queue a compression of a session',
      description:
        'Queues a summary of a session up to its latest turn and returns at once with the job_id and status; it never waits ' +
        'for the summariser. Asking again while a compression of the session is pending returns that job. Poll ' +
        'get_compression_job for the outcome. Usually unnecessary: sessions are compressed automatically as they grow.',
      inputSchema: z.object({ agent_id: agentIdSchema, session_id: sessionIdSchema }),
      outputSchema: out.compressResult,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: async (a, ctx) => ops.compress(ctx.principal, a.agent_id, a.session_id),
    }),
    defineTool({
      name: 'get_compression_job',
      title: 'Check a compression job',
      description:
        'Reports a compression job: its state (waiting, active, delayed, completed, failed), attempts, last error and, ' +
        'once completed, the resulting summary. Use the job_id returned by compress_memory.',
      inputSchema: z.object({ job_id: jobIdSchema }),
      outputSchema: out.jobResult,
      annotations: read,
      handler: async (a, ctx) => ops.job(ctx.principal, a.job_id),
    }),
    defineTool({
      name: 'search_memory',
      title: 'Search stored turns',
      description:
        "Searches an agent's stored turns, best matches first: full-text (English stemming; supports \"quoted phrases\", OR and -word), " +
        'and, when semantic recall is on (mode "hybrid"), also turns related in meaning that share no word with the query. ' +
        'Use it to find something said long ago, in this or another session. Pass session_id to search one session only.',
      inputSchema: z.object({ agent_id: agentIdSchema, query: searchQuerySchema, session_id: sessionIdSchema.optional(), limit: searchLimitSchema }),
      outputSchema: out.searchResult,
      annotations: read,
      handler: async (a, ctx) => ops.search(ctx.principal, a.agent_id, a.query, a.session_id, a.limit),
    }),
    defineTool({
      name: 'list_sessions',
      title: 'List sessions',
      description: "Lists an agent's sessions, most recently active first, with turn and token counts. An unknown agent has no sessions.",
      inputSchema: z.object({ agent_id: agentIdSchema }),
      outputSchema: out.sessionsResult,
      annotations: read,
      handler: async (a, ctx) => ops.sessions(ctx.principal, a.agent_id),
    }),
    defineTool({
      name: 'forget',
      title: 'Forget memory',
      description:
        "Permanently deletes an agent's memory: one session when session_id is given, otherwise every session of the agent. " +
        'Turns, summaries and cached answers are removed; the counts are returned. This cannot be undone.',
      inputSchema: z.object({ agent_id: agentIdSchema, session_id: sessionIdSchema.optional() }),
      outputSchema: out.forgetResult,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      handler: async (a, ctx) => ops.forget(ctx.principal, a.agent_id, a.session_id),
    }),
    defineTool({
      name: 'get_retention',
      title: 'Get an agent\'s retention',
      description:
        "Reports how long an agent's turns are kept: its own setting (retention_days, null when the server default applies), " +
        'the server default (default_days) and what applies (effective_days; 0 and keeps_forever: true mean kept forever). ' +
        'Turns older than that are deleted, with the summaries built from them, by a periodic sweep.',
      inputSchema: z.object({ agent_id: agentIdSchema }),
      outputSchema: out.retentionResult,
      annotations: read,
      handler: async (a, ctx) => ops.retention(ctx.principal, a.agent_id),
    }),
    defineTool({
      name: 'set_retention',
      title: 'Set an agent\'s retention',
      description:
        "Administrators only (scope memory:admin): sets how many days an agent's turns are kept, overriding the server default. " +
        '0 keeps them forever; null removes the override so the default applies again. The next retention sweep deletes every ' +
        'turn older than that, and the summaries built from them, permanently. Returns the retention that now applies.',
      inputSchema: z.object({ agent_id: agentIdSchema, retention_days: retentionDaysSchema }),
      outputSchema: out.retentionResult,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      scope: RETENTION_ADMIN_SCOPE,
      handler: async (a, ctx) => ops.setRetention(ctx.principal, a.agent_id, a.retention_days),
    }),
  ];
}
