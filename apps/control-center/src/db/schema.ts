// Typed tables of the control center.
import type { ColumnType, Generated, Selectable } from 'kysely';

/** One raw result: a service's readiness (dependency '') or one dependency check, from one sweep. */
export interface CheckResultsTable {
  id: Generated<string>;
  service: string;
  dependency: string;
  checked_at: ColumnType<Date, Date | string, Date | string>;
  success: boolean;
  status: string;
  latency_ms: number | null;
  message: string | null;
}

export type Granularity = 'minute' | 'hour' | 'day';

/** Aggregates per bucket: checks, successes, latency sum and a latency histogram (for p95). */
export interface RollupsTable {
  granularity: Granularity;
  bucket: ColumnType<Date, Date | string, Date | string>;
  service: string;
  dependency: string;
  checks: number;
  successes: number;
  latency_count: number;
  latency_sum: number;
  latency_hist: number[];
}

export interface IncidentsTable {
  id: Generated<string>;
  service: string;
  /** null: the service itself (not live or not ready). */
  dependency: string | null;
  opened_at: ColumnType<Date, Date | string, Date | string>;
  resolved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  cause: string;
}

export interface McpCatalogTable {
  service: string;
  fetched_at: ColumnType<Date, Date | string, Date | string>;
  tools: ColumnType<CatalogTool[], string, string>;
  tool_count: number;
  write_mode: 'read-only' | 'read-write' | 'unknown';
  token_cost: number;
  error: string | null;
}

export interface CatalogTool {
  name: string;
  title: string | null;
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  openWorld: boolean;
}

export interface Database {
  check_results: CheckResultsTable;
  rollups: RollupsTable;
  incidents: IncidentsTable;
  mcp_catalog: McpCatalogTable;
}

export type Incident = Selectable<IncidentsTable>;
export type Rollup = Selectable<RollupsTable>;
