// Output shapes shared by the MCP tools (outputSchema) and the REST routes (documented responses).
import { z } from '@factory/base-server';
import { ROLES } from '../db/schema.js';

export const turnView = z.object({
  memory_id: z.string(),
  role: z.enum(ROLES),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  token_count: z.number().int(),
  created_at: z.string(),
});

export const storeResult = z.object({ memory_id: z.string(), stored: z.literal(true) });
export const storeBatchResult = z.object({ memory_ids: z.array(z.string()), stored: z.number().int() });
export const recentResult = z.object({ agent_id: z.string(), session_id: z.string(), turns: z.array(turnView) });

export const compressedResult = z.object({
  agent_id: z.string(),
  session_id: z.string(),
  summary: z
    .object({
      text: z.string(),
      covers_through_turn_id: z.string(),
      turns_covered: z.number().int(),
      tokens: z.number().int(),
      truncated: z.boolean(),
      provider: z.string(),
      model: z.string(),
      created_at: z.string(),
    })
    .nullable(),
  turns: z.array(turnView),
  total_tokens: z.number().int(),
  omitted_turns: z.number().int(),
  stale: z.boolean(),
  pending_job_id: z.string().nullable(),
});

const jobState = z.enum(['waiting', 'active', 'delayed', 'completed', 'failed', 'unknown']);
export const compressResult = z.object({ job_id: z.string(), status: jobState, deduplicated: z.boolean() });

export const jobResult = z.object({
  job_id: z.string(),
  state: jobState,
  agent_id: z.string(),
  session_id: z.string(),
  through_turn_id: z.string(),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  last_error: z.string().nullable(),
  result: z
    .object({
      outcome: z.enum(['completed', 'skipped']),
      reason: z.string().optional(),
      summary_id: z.string().optional(),
      covers_through_turn_id: z.string().optional(),
      turns_covered: z.number().int().optional(),
    })
    .nullable(),
  created_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  summary: z.object({ summary_id: z.string(), text: z.string(), covers_through_turn_id: z.string(), turns_covered: z.number().int() }).nullable(),
});

export const searchResult = z.object({
  agent_id: z.string(),
  /** `hybrid`: full-text and vector ranks fused (semantic recall on); `full_text`: full-text only. */
  mode: z.enum(['full_text', 'hybrid']),
  /** Set when a hybrid search answered from full-text alone because the embeddings endpoint failed. */
  semantic_error: z.string().nullable(),
  hits: z.array(
    z.object({
      memory_id: z.string(),
      session_id: z.string(),
      role: z.enum(ROLES),
      content: z.string(),
      truncated: z.boolean(),
      rank: z.number(),
      created_at: z.string(),
    }),
  ),
});

export const sessionsResult = z.object({
  agent_id: z.string(),
  sessions: z.array(
    z.object({
      session_id: z.string(),
      turn_count: z.number().int(),
      token_count: z.number().int(),
      unsummarised_tokens: z.number().int(),
      created_at: z.string(),
      updated_at: z.string(),
    }),
  ),
});

export const forgetResult = z.object({
  agent_id: z.string(),
  session_id: z.string().nullable(),
  turns_deleted: z.number().int(),
  summaries_deleted: z.number().int(),
  sessions_deleted: z.number().int(),
  cache_entries_cleared: z.number().int(),
});

export const retentionResult = z.object({
  agent_id: z.string(),
  /** The agent's own setting (0 = keep forever), or null when the server default applies. */
  retention_days: z.number().int().nullable(),
  default_days: z.number().int(),
  effective_days: z.number().int(),
  keeps_forever: z.boolean(),
});
