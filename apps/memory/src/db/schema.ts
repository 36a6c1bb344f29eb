// Table types for kysely: rows are Selectable/Insertable<XxxTable>; nullable columns are `T | null`.
import type { ColumnType, Generated, Selectable } from 'kysely';

/** bigint ids come back from pg as strings; we pass them as strings too. */
type BigId = ColumnType<string, string | number, string | number>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export const ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type Role = (typeof ROLES)[number];

export interface TurnTable {
  id: Generated<string>;
  agent_id: string;
  session_id: string;
  role: Role;
  content: string;
  metadata: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  token_count: number;
  created_at: Generated<Date>;
}

export interface SummaryTable {
  id: Generated<string>;
  agent_id: string;
  session_id: string;
  summary: string;
  covers_through_turn_id: BigId;
  turns_covered: number;
  input_tokens: number;
  output_tokens: number;
  provider: string;
  model: string;
  created_at: Timestamp;
}

/** One row per (agent, session): counters that keep list_sessions and auto-compression O(1). */
export interface SessionTable {
  agent_id: string;
  session_id: string;
  turn_count: number;
  token_count: ColumnType<string, number | string, number | string>;
  unsummarised_tokens: ColumnType<string, number | string, number | string>;
  last_turn_id: BigId;
  /** Id of the transaction that last changed what the session's cached reads return (src/cache/cache-epoch.ts). */
  cache_epoch: ColumnType<string, never, string>;
  /** The highest turn id retention has deleted in this session (0: none); a compression begun before it moved is not saved. */
  purged_through_turn_id: ColumnType<string, never, string | number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The first answer of a write sent with an idempotency key, per (API key name, agent) scope. */
export interface IdempotencyKeyTable {
  scope: string;
  idempotency_key: string;
  request_hash: string;
  response: ColumnType<{ ids: string[]; unsummarisedTokens: number; lastTurnId: string }, string, string>;
  created_at: Timestamp;
}

/** A per-agent retention override (src/retention/): no row = MEMORY_RETENTION_DAYS; 0 = keep forever. */
export interface AgentRetentionTable {
  agent_id: string;
  retention_days: number;
  updated_at: Timestamp;
}

export interface MemoryDatabase {
  turns: TurnTable;
  summaries: SummaryTable;
  sessions: SessionTable;
  idempotency_keys: IdempotencyKeyTable;
  agent_retention: AgentRetentionTable;
}

export type TurnRow = Selectable<TurnTable>;
export type SummaryRow = Selectable<SummaryTable>;
