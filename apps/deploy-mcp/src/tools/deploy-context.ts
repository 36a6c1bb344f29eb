// What the tool factories share.
import type { Kysely } from 'kysely';
import type { Counter } from '@factory/base-server';
import type { DeployConfig } from '../config.js';
import type { EcsGateway } from '../ecs/ecs-gateway.js';
import type { AllowList } from '../deployments/allow-list.js';
import type { AlarmGuard } from '../guard/alarm-guard.js';
import type { AuditDatabase } from '../audit/audit-table.js';
import type { GuardWatchRunner } from '../guard/guard-queue.js';

export interface DeployContext {
  config: Readonly<DeployConfig>;
  ecs: EcsGateway;
  allowList: AllowList;
  guard: AlarmGuard;
  /** Present when writes are enabled. */
  audit: Kysely<AuditDatabase> | undefined;
  /** deploy_writes_total{action,result}: executed writes, including automatic rollbacks. */
  writes: Counter<'action' | 'result'>;
  /** deploy_guard_refusals_total{reason}: writes the alarm guard refused before acting. */
  guardRefusals: Counter<'reason'>;
  /** Runs the watch after a guarded write (a durable job with Redis); present when writes are enabled. */
  watches?: GuardWatchRunner | undefined;
  /** This process, in audit records (REPLICA_ID). */
  replica: string;
}

export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
