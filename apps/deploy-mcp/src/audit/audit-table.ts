// The audit table: one append-only row per executed write (and per automatic rollback).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export interface DeployAuditTable {
  id: Generated<string>;
  created_at: ColumnType<Date, never, never>;
  /** The API key's name (never the key) of the caller, or "stdio"/"anonymous". */
  principal: string;
  request_id: string;
  /** deploy_image, rollback_service, scale_service, restart_service or auto_rollback. */
  action: string;
  cluster: string;
  service: string;
  /** The service's state before: { task_definition, desired_count }. */
  before: ColumnType<Record<string, unknown>, string, never>;
  /** What was asked for / what ECS reported after: { task_definition, desired_count, … }. */
  after: ColumnType<Record<string, unknown>, string, never>;
  /** succeeded or failed. */
  result: string;
  error: string | null;
  /** Image diff, guard outcome and similar facts. */
  details: ColumnType<Record<string, unknown>, string, never>;
}

export interface AuditDatabase {
  deploy_audit: DeployAuditTable;
}

export type AuditRow = Selectable<DeployAuditTable>;
export type NewAuditRow = Insertable<DeployAuditTable>;
