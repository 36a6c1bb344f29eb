// Writing and reading audit records. Functions take the kysely instance first.
import type { Kysely } from 'kysely';
import type { AuditDatabase, AuditRow } from './audit-table.js';

export interface AuditEntry {
  principal: string;
  requestId: string;
  action: string;
  cluster: string;
  service: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  result: 'succeeded' | 'failed';
  error?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Kysely<AuditDatabase>, entry: AuditEntry): Promise<string> {
  const row = await db
    .insertInto('deploy_audit')
    .values({
      principal: entry.principal,
      request_id: entry.requestId,
      action: entry.action,
      cluster: entry.cluster,
      service: entry.service,
      before: JSON.stringify(entry.before),
      after: JSON.stringify(entry.after),
      result: entry.result,
      error: entry.error ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

export async function listAudit(
  db: Kysely<AuditDatabase>,
  filter: { cluster?: string | undefined; service?: string | undefined; limit: number },
): Promise<AuditRow[]> {
  let q = db.selectFrom('deploy_audit').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.cluster) q = q.where('cluster', '=', filter.cluster);
  if (filter.service) q = q.where('service', '=', filter.service);
  return q.execute();
}
