// Typed tables of the control center.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { WorkflowTables } from '../workflows/tables.js';

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

/** One outage of one service, from the first failing sweep to the first good one. */
export interface IncidentsTable {
  id: Generated<string>;
  service: string;
  /** Incidents opened before 20261201_0002 could be about one dependency; newer ones are null. */
  dependency: string | null;
  opened_at: ColumnType<Date, Date | string, Date | string>;
  resolved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The latest cause while open, the last one once resolved. */
  cause: string;
  /** The latest failing status: down, not_ready or degraded. */
  status: ColumnType<IncidentStatus, IncidentStatus | undefined, IncidentStatus>;
  /** Every dependency that failed during the incident. */
  dependencies: ColumnType<string[], string | undefined, string>;
  acknowledged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  acknowledged_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export type IncidentStatus = 'down' | 'not_ready' | 'degraded';

/** A per-service maintenance silence: failures in [starts_at, ends_at) open no incident and count against no uptime. */
export interface MaintenanceTable {
  service: string;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  ends_at: ColumnType<Date, Date | string, Date | string>;
  reason: string;
  created_by: string;
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

/** What the replicas share about one service (src/replicas/service-state.ts). */
export interface ServiceStateTable {
  service: string;
  checked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The latest ServicePoll, as JSON. */
  poll: ColumnType<unknown, string | null | undefined, string | null>;
  streak_count: ColumnType<number, number | undefined, number>;
  streak_first_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  streak_dependencies: ColumnType<string[], string | undefined, string>;
  /** The latest synthetic probe result, as JSON. */
  probe: ColumnType<unknown, string | null | undefined, string | null>;
  /** The replica that wrote the row last. */
  swept_by: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** The transaction that wrote the row last (xid8, read as text): set by the database. */
  written_xid: ColumnType<string, never, never>;
}

export interface Database extends WorkflowTables {
  check_results: CheckResultsTable;
  rollups: RollupsTable;
  incidents: IncidentsTable;
  mcp_catalog: McpCatalogTable;
  maintenance: MaintenanceTable;
  service_state: ServiceStateTable;
}

export type Incident = Selectable<IncidentsTable>;
export type Rollup = Selectable<RollupsTable>;
export type Maintenance = Selectable<MaintenanceTable>;
