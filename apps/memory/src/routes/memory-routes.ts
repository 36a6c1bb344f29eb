// REST equivalents of the MCP tools, under /v1.
import { BadRequestError, z, type ApiRequest, type RestApi } from '@factory/base-server';
import type { MemoryOperations } from '../memory/memory-operations.js';
import {
  agentIdSchema,
  sessionIdSchema,
  turnInputSchema,
  recentLimitSchema,
  maxTokensSchema,
  searchQuerySchema,
  searchLimitSchema,
  jobIdSchema,
  idempotencyKeySchema,
  retentionDaysSchema,
} from '../turns/inputs.js';
import * as out from '../tools/schemas.js';
import { RETENTION_ADMIN_SCOPE } from '../tools/memory-tools.js';

/** The optional `Idempotency-Key` header of a write (one value; 400 when malformed). */
function idempotencyKey(req: ApiRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) throw new BadRequestError('validation_failed', `Idempotency-Key header: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function registerMemoryRoutes(api: RestApi, ops: MemoryOperations, limits: { maxContentChars: number; maxBatchTurns: number }): void {
  const session = z.object({ agentId: agentIdSchema, sessionId: sessionIdSchema });
  const agent = z.object({ agentId: agentIdSchema });
  const tags = ['memory'];

  api.route({
    method: 'post',
    path: '/v1/agents/:agentId/sessions/:sessionId/turns',
    summary: 'Store one turn',
    tags,
    params: session,
    body: turnInputSchema(limits.maxContentChars),
    response: out.storeResult,
    status: 201,
    handler: async ({ params, body }, req) => {
      const stored = await ops.store(req.principal, params.agentId, params.sessionId, [body], idempotencyKey(req));
      return { memory_id: stored.ids[0] ?? '', stored: true as const };
    },
  });
  api.route({
    method: 'post',
    path: '/v1/agents/:agentId/sessions/:sessionId/turns/batch',
    summary: 'Store several turns in one transaction',
    tags,
    params: session,
    body: z.object({ turns: z.array(turnInputSchema(limits.maxContentChars)).min(1).max(limits.maxBatchTurns) }),
    response: out.storeBatchResult,
    status: 201,
    handler: async ({ params, body }, req) => {
      const stored = await ops.store(req.principal, params.agentId, params.sessionId, body.turns, idempotencyKey(req));
      return { memory_ids: stored.ids, stored: stored.ids.length };
    },
  });
  api.route({
    method: 'get',
    path: '/v1/agents/:agentId/sessions/:sessionId/turns',
    summary: 'Get the most recent turns (oldest first)',
    tags,
    params: session,
    query: z.object({ limit: recentLimitSchema }),
    response: out.recentResult,
    handler: async ({ params, query }, req) => ops.recentTurns(req.principal, params.agentId, params.sessionId, query.limit),
  });
  api.route({
    method: 'get',
    path: '/v1/agents/:agentId/sessions/:sessionId/memory',
    summary: 'Get the compressed memory: latest summary plus the turns after it, fitted to max_tokens',
    tags,
    params: session,
    query: z.object({ max_tokens: maxTokensSchema }),
    response: out.compressedResult,
    handler: async ({ params, query }, req) => ops.compressedMemory(req.principal, params.agentId, params.sessionId, query.max_tokens),
  });
  api.route({
    method: 'post',
    path: '/v1/agents/:agentId/sessions/:sessionId/compress',
    summary: 'Queue a compression of the session (answers at once)',
    tags,
    params: session,
    response: out.compressResult,
    status: 202,
    handler: async ({ params }, req) => ops.compress(req.principal, params.agentId, params.sessionId),
  });
  api.route({
    method: 'get',
    path: '/v1/compression-jobs/:jobId',
    summary: 'Get a compression job',
    tags,
    params: z.object({ jobId: jobIdSchema }),
    response: out.jobResult,
    handler: async ({ params }, req) => ops.job(req.principal, params.jobId),
  });
  api.route({
    method: 'get',
    path: '/v1/agents/:agentId/search',
    summary: 'Search the agent’s turns (full-text, fused with semantic recall when configured)',
    tags,
    params: agent,
    query: z.object({ query: searchQuerySchema, session_id: sessionIdSchema.optional(), limit: searchLimitSchema }),
    response: out.searchResult,
    handler: async ({ params, query }, req) => ops.search(req.principal, params.agentId, query.query, query.session_id, query.limit),
  });
  api.route({
    method: 'get',
    path: '/v1/agents/:agentId/sessions',
    summary: 'List the agent’s sessions',
    tags,
    params: agent,
    response: out.sessionsResult,
    handler: async ({ params }, req) => ops.sessions(req.principal, params.agentId),
  });
  api.route({
    method: 'delete',
    path: '/v1/agents/:agentId/sessions/:sessionId',
    summary: 'Forget one session',
    tags,
    params: session,
    response: out.forgetResult,
    handler: async ({ params }, req) => ops.forget(req.principal, params.agentId, params.sessionId),
  });
  api.route({
    method: 'delete',
    path: '/v1/agents/:agentId',
    summary: 'Forget every session of the agent',
    tags,
    params: agent,
    response: out.forgetResult,
    handler: async ({ params }, req) => ops.forget(req.principal, params.agentId, undefined),
  });
  api.route({
    method: 'get',
    path: '/v1/agents/:agentId/retention',
    summary: 'Get how long the agent’s turns are kept (its override, the default, what applies)',
    tags,
    params: agent,
    response: out.retentionResult,
    handler: async ({ params }, req) => ops.retention(req.principal, params.agentId),
  });
  api.route({
    method: 'put',
    path: '/v1/agents/:agentId/retention',
    summary: 'Set the agent’s retention in days (0: forever, null: the default); the next sweep deletes older turns',
    tags,
    params: agent,
    body: z.object({ retention_days: retentionDaysSchema }),
    response: out.retentionResult,
    scope: RETENTION_ADMIN_SCOPE,
    handler: async ({ params, body }, req) => ops.setRetention(req.principal, params.agentId, body.retention_days),
  });
}
