// The watch after a guarded write, as a job: watch the guard alarms until the window ends and, if one
// fires, roll the change back and audit it. The same function runs in-process (no Redis) or as a
// durable BullMQ job (guard-queue.ts) that any replica resumes when the one running it dies; the audit
// record names the replica that acted. The job carries names and numbers only, never a credential.
import type { Service, UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { compositeKey, toolErrorMessage, z, type Counter, type Logger } from '@factory/base-server';
import type { Kysely } from 'kysely';
import type { AuditDatabase } from '../audit/audit-table.js';
import { recordAudit } from '../audit/audit-repository.js';
import type { EcsGateway } from '../ecs/ecs-gateway.js';
import { shortTaskDefinition } from '../ecs/names.js';
import { guardAlarmsSchema, type AlarmGuard, type GuardReport } from './alarm-guard.js';

/** What a watch needs to run anywhere: which service, what to watch, how to revert, and until when. */
export const guardWatchJobSchema = z.object({
  action: z.enum(['deploy_image', 'scale_service']),
  cluster: z.string(),
  service: z.string(),
  guard_alarms: guardAlarmsSchema,
  alarms_checked: z.number(),
  /** The audit record of the write being watched (part of the job id). */
  write_audit_id: z.string(),
  /** Who asked for the write (the API key's name) and the request, for the rollback's audit record. */
  principal: z.string(),
  request_id: z.string(),
  /** When the watch window ends (epoch ms): a replica resuming the watch watches only what is left. */
  watch_until: z.number(),
  /** What the write set: the rollback only reverts a service that still runs it. */
  applied: z.object({ task_definition: z.string(), desired_count: z.number() }),
  /** The UpdateService input that undoes the write. */
  revert: z.object({ cluster: z.string(), service: z.string(), taskDefinition: z.string().optional(), desiredCount: z.number().optional() }),
});
export type GuardWatchJob = z.infer<typeof guardWatchJobSchema>;

export interface GuardWatchResult {
  guard: GuardReport;
  rollback: { reason: string; restored_task_definition: string; restored_desired_count: number; audit_id: string } | null;
  /** The replica that ran (or finished) the watch. */
  replica: string;
}

/**
 * One watch per write: the job id is built from the deployment it watches. BullMQ refuses ':' in a
 * custom job id, so compositeKey's ':' is percent-encoded (with '%' first, which keeps it injective).
 */
export const guardWatchJobId = (job: Pick<GuardWatchJob, 'cluster' | 'service' | 'write_audit_id'>) =>
  compositeKey('guard-watch', job.cluster, job.service, job.write_audit_id).replace(/%/g, '%25').replace(/:/g, '%3A');

/** Thrown when the rollback failed or could not be done; the tool answers with it as an error. */
export class AutoRollbackFailed extends Error {
  override readonly name = 'AutoRollbackFailed';
}

export interface GuardWatchDeps {
  guard: AlarmGuard;
  ecs: EcsGateway;
  audit: Kysely<AuditDatabase>;
  writes: Counter<'action' | 'result'>;
  logger: Logger;
  replica: string;
}

const stateOf = (s: Service) => ({ task_definition: shortTaskDefinition(s.taskDefinition), desired_count: s.desiredCount ?? 0 });

export async function runGuardWatch(
  deps: GuardWatchDeps,
  job: GuardWatchJob,
  onTick: (elapsedMs: number, totalMs: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<GuardWatchResult> {
  const { guard, ecs, replica } = deps;
  const watch = await guard.watch(job.guard_alarms, onTick, signal, Math.max(0, job.watch_until - Date.now()));
  const report: GuardReport = { alarms_checked: job.alarms_checked, watch: watch.outcome, watch_ms: guard.watchMs, fired: watch.fired, unanswered_checks: watch.unanswered };
  if (watch.outcome !== 'fired') return { guard: report, rollback: null, replica };

  const reason = `guard alarm(s) fired after ${job.action}: ${watch.fired.map((f) => `${f.name} (${f.reason})`).join('; ')}`;
  deps.logger.warn({ action: job.action, cluster: job.cluster, service: job.service, fired: watch.fired, replica }, 'guard alarm fired: rolling back');
  const restored = { task_definition: shortTaskDefinition(job.revert.taskDefinition ?? job.applied.task_definition), desired_count: job.revert.desiredCount ?? job.applied.desired_count };
  const current = await ecs.describeService(job.cluster, job.service);
  const now = stateOf(current);
  const base = { principal: job.principal, requestId: job.request_id, action: 'auto_rollback', cluster: job.cluster, service: job.service, before: now };
  const details = { reason, reverts_audit_id: job.write_audit_id, fired: watch.fired, replica };
  const rollback = (auditId: string) => ({ reason, restored_task_definition: restored.task_definition, restored_desired_count: restored.desired_count, audit_id: auditId });

  const wanted = job.revert.taskDefinition !== undefined ? { task_definition: restored.task_definition } : { desired_count: restored.desired_count };
  const matches = (target: Record<string, unknown>) => Object.entries(target).every(([k, v]) => now[k as keyof typeof now] === v);
  const appliedNow = job.revert.taskDefinition !== undefined ? { task_definition: job.applied.task_definition } : { desired_count: job.applied.desired_count };
  if (matches(wanted)) {
    // A replica that died after rolling back, before finishing the job: the rollback is done (its record too).
    const done = await deps.audit
      .selectFrom('deploy_audit')
      .select('id')
      .where('action', '=', 'auto_rollback')
      .where('cluster', '=', job.cluster)
      .where('service', '=', job.service)
      .where(({ ref }) => ref('details', '->>').key('reverts_audit_id'), '=', job.write_audit_id)
      .executeTakeFirst();
    if (done) return { guard: report, rollback: rollback(String(done.id)), replica };
  } else if (!matches(appliedNow)) {
    // Someone changed the service since the write: reverting now would overwrite their change.
    const error = `${job.cluster}/${job.service} no longer runs what ${job.action} set (${JSON.stringify(appliedNow)}; now ${JSON.stringify(now)}), so it was not rolled back`;
    await recordAudit(deps.audit, { ...base, after: restored, result: 'failed', error, details });
    deps.writes.inc({ action: 'auto_rollback', result: 'failed' });
    throw new AutoRollbackFailed(`${reason}, but ${error}.`);
  }
  let updated: Service;
  try {
    updated = await ecs.updateService(job.revert as UpdateServiceCommandInput);
  } catch (err) {
    deps.writes.inc({ action: 'auto_rollback', result: 'failed' });
    await recordAudit(deps.audit, { ...base, after: restored, result: 'failed', error: toolErrorMessage(err), details }).catch((auditErr: unknown) =>
      deps.logger.error({ err: auditErr }, 'could not write the audit record of a failed automatic rollback'),
    );
    throw new AutoRollbackFailed(`${reason}, and the automatic rollback FAILED: ${toolErrorMessage(err)}`);
  }
  deps.writes.inc({ action: 'auto_rollback', result: 'succeeded' });
  const auditId = await recordAudit(deps.audit, { ...base, after: { ...restored, ...stateOf(updated) }, result: 'succeeded', details });
  deps.logger.info({ audit_id: auditId, cluster: job.cluster, service: job.service, replica }, 'automatic rollback executed');
  return { guard: report, rollback: rollback(auditId), replica };
}
