// Write tools: registered only when DEPLOY_ALLOW_WRITE=true; each acts only on allow-listed services,
// names the task-definition revision it expects to replace, supports dry_run, and leaves an audit record.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Service, TaskDefinition, UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import {
  AppError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  defineTool,
  toolErrorMessage,
  z,
  type AnyTool,
  type ToolContext,
} from '@factory/base-server';
import { sql, type Kysely } from 'kysely';
import type { AuditDatabase } from '../audit/audit-table.js';
import { listAudit, recordAudit } from '../audit/audit-repository.js';
import { imageDiff, withImage, type ImageChange } from '../deployments/task-definition-copy.js';
import { clusterName, parseTaskDefinition, requireTaskDefinition, serviceName, shortTaskDefinition } from '../ecs/names.js';
import { circuitBreaker, deploymentSchema, isStable, primaryDeployment, summariseDeployment, trippedDeployment } from '../ecs/summaries.js';
import { guardAlarmsSchema, guardReportSchema, type GuardAlarms } from '../guard/alarm-guard.js';
import type { GuardWatchJob } from '../guard/guard-watch.js';
import { READ, type DeployContext } from './deploy-context.js';
import { clusterArg, serviceArg } from './read-tools.js';

const expectedArg = z
  .string()
  .min(1)
  .max(1600)
  .describe(
    'The task definition ("family:revision" or ARN) the service runs now, as you last saw it (describe_service). If the service has changed since, the write is refused, so two agents cannot overwrite each other.',
  );
const dryRunArg = z.boolean().default(false).describe('true: validate everything and return the exact plan without changing anything');

const imageChangeSchema = z.object({ container: z.string(), from: z.string(), to: z.string() });

const planSchema = z.object({
  current_task_definition: z.string(),
  new_task_definition: z.string().describe('after the change; for a new revision in a dry run, "<family>:(next revision)"'),
  image_changes: z.array(imageChangeSchema),
  desired_count: z.object({ from: z.number(), to: z.number() }),
  force_new_deployment: z.boolean(),
});
type Plan = z.infer<typeof planSchema>;

const writeResultSchema = z.object({
  action: z.string(),
  cluster: z.string(),
  service: z.string(),
  dry_run: z.boolean(),
  executed: z.boolean(),
  plan: planSchema,
  audit_id: z.string().nullable().describe('id of the audit record (null for a dry run)'),
  deployment: deploymentSchema.nullable().describe('the PRIMARY deployment ECS started'),
  guard: guardReportSchema.nullable(),
  rolled_back: z.boolean().describe('true when a guard alarm fired after the change and deploy-mcp reverted it'),
  rollback: z
    .object({ reason: z.string(), restored_task_definition: z.string(), restored_desired_count: z.number(), audit_id: z.string() })
    .nullable(),
  next_step: z.string(),
});
type WriteResult = z.infer<typeof writeResultSchema>;

const WRITE = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

interface Target {
  cluster: string;
  service: string;
  current: Service;
  currentTd: string;
}

export function writeTools(ctx: DeployContext): AnyTool[] {
  const { ecs, config, allowList, guard } = ctx;
  if (!ctx.audit || !ctx.watches) throw new Error('write tools need the audit database and a guard watch runner');
  const audit: Kysely<AuditDatabase> = ctx.audit;
  const watches = ctx.watches;

  /** Input checks, allow-list, then the revision race: the service must still run what the caller expects. */
  async function target(clusterRef: string, serviceRef: string, expected: string): Promise<Target> {
    const exp = requireTaskDefinition(expected, 'expected_task_definition');
    allowList.assert(clusterRef, serviceRef);
    const current = await ecs.describeService(clusterRef, serviceRef);
    const currentTd = shortTaskDefinition(current.taskDefinition);
    const expectedTd = `${exp.family}:${exp.revision}`;
    if (currentTd !== expectedTd) {
      throw new ConflictError(
        'revision_mismatch',
        `Refusing: ${clusterName(clusterRef)}/${serviceName(serviceRef)} now runs ${currentTd}, not ${expectedTd} as you expected — it changed since you looked (another deploy?). Call describe_service and decide again.`,
        { details: { current: currentTd, expected: expectedTd } },
      );
    }
    return { cluster: clusterName(clusterRef), service: current.serviceName ?? serviceName(serviceRef), current, currentTd };
  }

  const stateOf = (s: Service) => ({ task_definition: shortTaskDefinition(s.taskDefinition), desired_count: s.desiredCount ?? 0 });

  /** Runs the AWS write and appends the audit record whatever the outcome. */
  async function executeAudited(
    db: Kysely<AuditDatabase>,
    tc: ToolContext,
    action: string,
    t: Target,
    /** What was asked for; a function when it is only known once `run` got under way. */
    afterOf: Record<string, unknown> | (() => Record<string, unknown>),
    details: Record<string, unknown>,
    run: () => Promise<Service>,
  ): Promise<{ service: Service; auditId: string }> {
    const after = () => (typeof afterOf === 'function' ? afterOf() : afterOf);
    // The caller: `principal` is the API key's name or the access token's subject; how it signed in and
    // through which OAuth client go into the details, beside which replica acted (REPLICA_ID).
    const caller = { via: tc.principal.via ?? 'none', ...(tc.principal.clientId ? { client_id: tc.principal.clientId } : {}) };
    const base = { principal: tc.principal.keyName, requestId: tc.requestId, action, cluster: t.cluster, service: t.service, before: stateOf(t.current), details: { ...details, caller, replica: ctx.replica } };
    let updated: Service;
    try {
      updated = await run();
    } catch (err) {
      ctx.writes.inc({ action, result: 'failed' });
      await recordAudit(db, { ...base, after: after(), result: 'failed', error: toolErrorMessage(err) }).catch((auditErr: unknown) =>
        tc.logger.error({ err: auditErr, action }, 'could not write the audit record of a failed write'),
      );
      throw err;
    }
    ctx.writes.inc({ action, result: 'succeeded' });
    const auditId = await recordAudit(db, { ...base, after: { ...after(), ...stateOf(updated) }, result: 'succeeded' });
    tc.logger.info({ audit_id: auditId, action, cluster: t.cluster, service: t.service, principal: tc.principal.keyName }, 'deploy write executed');
    return { service: updated, auditId };
  }

  /**
   * One write per service at a time, across replicas: a Postgres advisory lock (keyed by schema,
   * cluster and service) held on one connection for the whole write, including the guard watch and an
   * automatic rollback. A second writer is refused instead of racing. Dry runs take no lock.
   */
  async function serialised<T>(
    args: { cluster: string; service: string; dry_run: boolean },
    fn: (db: Kysely<AuditDatabase>) => Promise<T>,
  ): Promise<T> {
    if (args.dry_run) return fn(audit);
    allowList.assert(args.cluster, args.service);
    const key = `deploy-mcp:${clusterName(args.cluster)}/${serviceName(args.service)}`;
    return audit.connection().execute(async (conn) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(current_schema() || ${key})) as locked`.execute(conn);
      if (!rows[0]?.locked) {
        throw new ConflictError(
          'write_in_progress',
          `Another write to ${clusterName(args.cluster)}/${serviceName(args.service)} is in progress (it may still be watching its guard alarms). Wait for it to finish, re-read with describe_service, then try again.`,
        );
      }
      try {
        // Audit records go through the locked connection: PGlite has only one.
        return await fn(conn);
      } finally {
        // If the connection is gone, so is the lock; the write's own outcome matters more.
        await sql`select pg_advisory_unlock(hashtext(current_schema() || ${key}))`.execute(conn).catch(() => undefined);
      }
    });
  }

  /** The alarm guard's pre-check, counting refusals by reason. */
  async function precheck(guardAlarms: GuardAlarms, tc: ToolContext): Promise<number> {
    try {
      return (await guard.precheck(guardAlarms, tc.signal)).checked;
    } catch (err) {
      const code = err instanceof AppError ? err.code : '';
      const reason =
        code === 'guard_alarm_firing' ? 'alarm_firing' : code === 'alarm_guard_not_configured' ? 'not_configured' : code === 'alarm_guard_unavailable' ? 'unavailable' : 'bad_guard';
      ctx.guardRefusals.inc({ reason });
      throw err;
    }
  }

  function result(action: string, t: Target, plan: Plan, dryRun: boolean): WriteResult {
    return {
      action,
      cluster: t.cluster,
      service: t.service,
      dry_run: dryRun,
      executed: false,
      plan,
      audit_id: null,
      deployment: null,
      guard: null,
      rolled_back: false,
      rollback: null,
      next_step: dryRun ? `Nothing was changed. Call ${action} again with dry_run=false to do this.` : '',
    };
  }

  /**
   * After a guarded change: watch the alarms (a durable job with Redis, resumed by any replica); if one
   * fires, the change is reverted and the answer says so. A failed revert is an error result: the
   * change is live and a human or agent must act.
   */
  async function watchAndMaybeRevert(
    db: Kysely<AuditDatabase>,
    tc: ToolContext,
    action: 'deploy_image' | 'scale_service',
    t: Target,
    guardAlarms: GuardAlarms,
    checked: number,
    out: WriteResult,
    applied: Service,
    revert: UpdateServiceCommandInput & { cluster: string; service: string },
  ): Promise<WriteResult> {
    const job: GuardWatchJob = {
      action,
      cluster: t.cluster,
      service: t.service,
      guard_alarms: guardAlarms,
      alarms_checked: checked,
      write_audit_id: out.audit_id ?? '',
      principal: tc.principal.keyName,
      request_id: tc.requestId,
      watch_until: Date.now() + guard.watchMs,
      applied: stateOf(applied),
      revert: {
        cluster: revert.cluster,
        service: revert.service,
        ...(revert.taskDefinition !== undefined ? { taskDefinition: revert.taskDefinition } : {}),
        ...(revert.desiredCount !== undefined ? { desiredCount: revert.desiredCount } : {}),
      },
    };
    let watched;
    try {
      watched = await watches.run(
        job,
        (elapsed, total) => tc.progress(elapsed, total, `watching guard alarms: ${Math.round(elapsed / 1000)}s of ${Math.round(total / 1000)}s`),
        db,
      );
    } catch (err) {
      throw new AppError(
        'auto_rollback_failed',
        `${action} was applied (audit ${out.audit_id}), then ${toolErrorMessage(err)}. Roll back now with rollback_service or scale_service.`,
        { status: 502, type: 'upstream_error', cause: err },
      );
    }
    out.guard = watched.guard;
    if (!watched.rollback) {
      out.next_step =
        watched.guard.watch === 'clear'
          ? 'No guard alarm fired during the watch. Call wait_for_stable to follow the rollout to the end.'
          : 'observability-mcp could not always be asked during the watch; check the guard alarms yourself, then call wait_for_stable.';
      return out;
    }
    out.rolled_back = true;
    out.rollback = watched.rollback;
    out.next_step = `The change was rolled back automatically because ${watched.rollback.reason}. Investigate before trying again; wait_for_stable follows the rollback.`;
    return out;
  }

  const deployImage = defineTool({
    name: 'deploy_image',
    title: 'Deploy a new container image',
    description:
      'Deploys a new image for one container of an allow-listed ECS service: registers a new task-definition revision that is a copy of the current one with only that image replaced, then updates the service to it. Give guard_alarms to refuse while they fire and to roll back automatically if one fires during the watch window afterwards. Use dry_run=true first to see the plan.',
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      container: z.string().min(1).max(255).describe('Name of the container whose image to replace'),
      image: z.string().min(1).max(1024).regex(/^\S+$/, 'an image reference without spaces').describe('New image, e.g. "123.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2" or with @sha256:…'),
      expected_task_definition: expectedArg,
      guard_alarms: guardAlarmsSchema.optional(),
      dry_run: dryRunArg,
    }),
    outputSchema: writeResultSchema,
    annotations: WRITE,
    handler: (args, tc) => serialised(args, async (db) => {
      const t = await target(args.cluster, args.service, args.expected_task_definition);
      const { taskDefinition, tags } = await ecs.describeTaskDefinition(t.current.taskDefinition ?? t.currentTd);
      const { input, change } = withImage(taskDefinition, tags, args.container, args.image);
      const desired = t.current.desiredCount ?? 0;
      const plan: Plan = {
        current_task_definition: t.currentTd,
        new_task_definition: `${taskDefinition.family}:(next revision)`,
        image_changes: [change],
        desired_count: { from: desired, to: desired },
        force_new_deployment: false,
      };
      const checked = args.guard_alarms ? await precheck(args.guard_alarms, tc) : 0;
      const out = result('deploy_image', t, plan, args.dry_run);
      if (args.dry_run) return out;

      let registered: TaskDefinition | undefined;
      const { service, auditId } = await executeAudited(
        db,
        tc,
        'deploy_image',
        t,
        () => ({ task_definition: registered ? shortTaskDefinition(registered.taskDefinitionArn) : plan.new_task_definition }),
        { image_changes: [change], guard_alarms: args.guard_alarms ?? null },
        async () => {
          registered = await ecs.registerTaskDefinition(input);
          return ecs.updateService({ cluster: t.cluster, service: t.service, taskDefinition: registered.taskDefinitionArn });
        },
      );
      plan.new_task_definition = shortTaskDefinition(registered?.taskDefinitionArn);
      Object.assign(out, { executed: true, audit_id: auditId, deployment: deploymentOf(service) });
      out.next_step = 'Call wait_for_stable to follow the rollout.';
      if (!args.guard_alarms) return out;
      return watchAndMaybeRevert(db, tc, 'deploy_image', t, args.guard_alarms, checked, out, service, {
        cluster: t.cluster,
        service: t.service,
        ...(t.current.taskDefinition ? { taskDefinition: t.current.taskDefinition } : {}),
      });
    }),
  });

  const rollbackService = defineTool({
    name: 'rollback_service',
    title: 'Roll a service back',
    description:
      'Points an allow-listed ECS service back at an earlier task-definition revision of the same family: the one you name, or by default the newest ACTIVE revision below the current one. Use dry_run=true first to see the plan and the image differences.',
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      expected_task_definition: expectedArg,
      to_task_definition: z
        .string()
        .min(1)
        .max(1600)
        .optional()
        .describe('"family:revision" or ARN to go back to (same family); default: the previous ACTIVE revision'),
      dry_run: dryRunArg,
    }),
    outputSchema: writeResultSchema,
    annotations: WRITE,
    handler: (args, tc) => serialised(args, async (db) => {
      const wanted = args.to_task_definition ? requireTaskDefinition(args.to_task_definition, 'to_task_definition') : undefined;
      const t = await target(args.cluster, args.service, args.expected_task_definition);
      const cur = parseTaskDefinition(t.currentTd);
      if (!cur) throw new Error(`unexpected task definition reference ${t.currentTd}`);
      let targetRef: string;
      if (wanted) {
        if (wanted.family !== cur.family) {
          throw new BadRequestError('family_mismatch', `to_task_definition must be a revision of ${cur.family} (the service runs ${t.currentTd}); got ${wanted.family}:${wanted.revision}.`);
        }
        if (wanted.revision === cur.revision) throw new BadRequestError('already_current', `The service already runs ${t.currentTd}.`);
        targetRef = `${wanted.family}:${wanted.revision}`;
      } else {
        const { arns } = await ecs.listTaskDefinitionArns(cur.family, { status: 'ACTIVE', limit: 100 });
        const previous = arns
          .map((a) => parseTaskDefinition(a))
          .filter((r): r is NonNullable<typeof r> => r !== undefined && r.family === cur.family && r.revision < cur.revision)
          .sort((a, b) => b.revision - a.revision)[0];
        if (!previous) throw new NotFoundError('no_previous_revision', `${cur.family} has no ACTIVE revision below ${cur.revision}; name one with to_task_definition.`);
        targetRef = `${previous.family}:${previous.revision}`;
      }
      const [{ taskDefinition: from }, { taskDefinition: to }] = await Promise.all([
        ecs.describeTaskDefinition(t.current.taskDefinition ?? t.currentTd),
        ecs.describeTaskDefinition(targetRef),
      ]);
      if (to.status !== 'ACTIVE') {
        throw new BadRequestError('revision_not_active', `${targetRef} is ${to.status}; only ACTIVE revisions can be deployed. Pick another with list_task_definition_revisions.`);
      }
      const desired = t.current.desiredCount ?? 0;
      const plan: Plan = {
        current_task_definition: t.currentTd,
        new_task_definition: targetRef,
        image_changes: imageDiff(from, to),
        desired_count: { from: desired, to: desired },
        force_new_deployment: false,
      };
      const out = result('rollback_service', t, plan, args.dry_run);
      if (args.dry_run) return out;
      const { service, auditId } = await executeAudited(db, tc, 'rollback_service', t, { task_definition: targetRef }, { image_changes: plan.image_changes }, () =>
        ecs.updateService({ cluster: t.cluster, service: t.service, taskDefinition: to.taskDefinitionArn ?? targetRef }),
      );
      return { ...out, executed: true, audit_id: auditId, deployment: deploymentOf(service), next_step: 'Call wait_for_stable to follow the rollback.' };
    }),
  });

  const scaleService = defineTool({
    name: 'scale_service',
    title: 'Change the desired task count',
    description: `Sets the desired task count of an allow-listed ECS service, within ${config.DEPLOY_MIN_DESIRED_COUNT}..${config.DEPLOY_MAX_DESIRED_COUNT}. Give guard_alarms to refuse while they fire and to restore the previous count automatically if one fires during the watch window afterwards. Use dry_run=true first to see the plan.`,
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      desired_count: z.number().int().min(0).max(10_000).describe(`New desired count (allowed: ${config.DEPLOY_MIN_DESIRED_COUNT} to ${config.DEPLOY_MAX_DESIRED_COUNT})`),
      expected_task_definition: expectedArg,
      guard_alarms: guardAlarmsSchema.optional(),
      dry_run: dryRunArg,
    }),
    outputSchema: writeResultSchema,
    annotations: { ...WRITE, idempotentHint: true },
    handler: (args, tc) => serialised(args, async (db) => {
      const { DEPLOY_MIN_DESIRED_COUNT: min, DEPLOY_MAX_DESIRED_COUNT: max } = config;
      if (args.desired_count < min || args.desired_count > max) {
        throw new BadRequestError('desired_count_out_of_bounds', `desired_count must be between ${min} and ${max} (DEPLOY_MIN/MAX_DESIRED_COUNT); got ${args.desired_count}.`);
      }
      const t = await target(args.cluster, args.service, args.expected_task_definition);
      const from = t.current.desiredCount ?? 0;
      if (from === args.desired_count) throw new BadRequestError('desired_count_unchanged', `${t.cluster}/${t.service} already wants ${from} tasks; nothing to change.`);
      const plan: Plan = {
        current_task_definition: t.currentTd,
        new_task_definition: t.currentTd,
        image_changes: [],
        desired_count: { from, to: args.desired_count },
        force_new_deployment: false,
      };
      const checked = args.guard_alarms ? await precheck(args.guard_alarms, tc) : 0;
      const out = result('scale_service', t, plan, args.dry_run);
      if (args.dry_run) return out;
      const { service, auditId } = await executeAudited(db, tc, 'scale_service', t, { desired_count: args.desired_count }, { guard_alarms: args.guard_alarms ?? null }, () =>
        ecs.updateService({ cluster: t.cluster, service: t.service, desiredCount: args.desired_count }),
      );
      Object.assign(out, { executed: true, audit_id: auditId, deployment: deploymentOf(service), next_step: 'Call wait_for_stable to follow the change.' });
      if (!args.guard_alarms) return out;
      return watchAndMaybeRevert(db, tc, 'scale_service', t, args.guard_alarms, checked, out, service, { cluster: t.cluster, service: t.service, desiredCount: from });
    }),
  });

  const restartService = defineTool({
    name: 'restart_service',
    title: 'Restart a service',
    description:
      'Forces a new deployment of an allow-listed ECS service with its current task definition: ECS replaces every task with a fresh one (picking up a re-pushed mutable image tag or rotated secrets). Use dry_run=true first to see the plan.',
    inputSchema: z.object({ cluster: clusterArg, service: serviceArg, expected_task_definition: expectedArg, dry_run: dryRunArg }),
    outputSchema: writeResultSchema,
    annotations: WRITE,
    handler: (args, tc) => serialised(args, async (db) => {
      const t = await target(args.cluster, args.service, args.expected_task_definition);
      const desired = t.current.desiredCount ?? 0;
      const plan: Plan = {
        current_task_definition: t.currentTd,
        new_task_definition: t.currentTd,
        image_changes: [],
        desired_count: { from: desired, to: desired },
        force_new_deployment: true,
      };
      const out = result('restart_service', t, plan, args.dry_run);
      if (args.dry_run) return out;
      const { service, auditId } = await executeAudited(db, tc, 'restart_service', t, { force_new_deployment: true }, {}, () =>
        ecs.updateService({ cluster: t.cluster, service: t.service, forceNewDeployment: true }),
      );
      return { ...out, executed: true, audit_id: auditId, deployment: deploymentOf(service), next_step: 'Call wait_for_stable to follow the restart.' };
    }),
  });

  const maxWaitSeconds = Math.floor(config.DEPLOY_STABLE_TIMEOUT_MS / 1000);
  const waitForStable = defineTool({
    name: 'wait_for_stable',
    title: 'Wait until a service is stable',
    description: `Waits (at most timeout_seconds, up to ${maxWaitSeconds}) until an ECS service is stable — one deployment, rollout completed, running equals desired — or its rollout fails, sending progress notifications while it polls. Use after deploy_image, rollback_service, scale_service or restart_service.`,
    inputSchema: z.object({
      cluster: clusterArg,
      service: serviceArg,
      timeout_seconds: z.number().int().min(1).max(maxWaitSeconds).default(maxWaitSeconds).describe('Give up after this long'),
    }),
    outputSchema: z.object({
      outcome: z.enum(['stable', 'failed', 'timed_out']),
      stable: z.boolean(),
      polls: z.number(),
      task_definition: z.string(),
      desired: z.number(),
      running: z.number(),
      pending: z.number(),
      primary: deploymentSchema.nullable(),
      deployments: z.number(),
      circuit_breaker_tripped: z.boolean(),
      message: z.string(),
    }),
    annotations: READ,
    handler: async ({ cluster, service, timeout_seconds }, tc) => {
      const timeoutMs = timeout_seconds * 1000;
      const started = Date.now();
      let polls = 0;
      for (;;) {
        const s = await ecs.describeService(cluster, service, tc.signal);
        polls += 1;
        const primary = primaryDeployment(s);
        const tripped = trippedDeployment(s);
        const stable = isStable(s);
        const failed = !stable && (primary?.rolloutState === 'FAILED' || tripped !== undefined);
        const elapsed = Date.now() - started;
        const timedOut = !stable && !failed && elapsed >= timeoutMs;
        const summary = `${s.runningCount ?? 0}/${s.desiredCount ?? 0} running, ${s.pendingCount ?? 0} pending, ${s.deployments?.length ?? 0} deployment(s), rollout ${primary?.rolloutState ?? 'n/a'}`;
        if (stable || failed || timedOut) {
          return {
            outcome: (stable ? 'stable' : failed ? 'failed' : 'timed_out') as 'stable' | 'failed' | 'timed_out',
            stable,
            polls,
            task_definition: shortTaskDefinition(s.taskDefinition),
            desired: s.desiredCount ?? 0,
            running: s.runningCount ?? 0,
            pending: s.pendingCount ?? 0,
            primary: primary ? summariseDeployment(primary) : null,
            deployments: s.deployments?.length ?? 0,
            circuit_breaker_tripped: tripped !== undefined,
            message: stable
              ? `Stable: ${summary}.`
              : failed
                ? `Rollout failed: ${tripped?.rolloutStateReason ?? primary?.rolloutStateReason ?? 'see describe_service events'}${circuitBreaker(s).rollback ? ' (ECS rolls back by itself)' : ''}. Use get_stopped_task_reasons to see why.`
                : `Not stable after ${timeout_seconds}s: ${summary}. Call wait_for_stable again or inspect with get_deployment_status.`,
          };
        }
        await tc.progress(Math.max(1, elapsed), timeoutMs, summary);
        try {
          await sleep(Math.min(config.DEPLOY_POLL_INTERVAL_MS, Math.max(1, timeoutMs - elapsed)), undefined, { signal: tc.signal });
        } catch {
          throw new AppError('wait_cancelled', 'wait_for_stable was cancelled.', { status: 499, type: 'invalid_request_error' });
        }
      }
    },
  });

  const listAuditRecords = defineTool({
    name: 'list_audit_records',
    title: 'List deploy audit records',
    description:
      'Lists the audit records of writes deploy-mcp executed (newest first): who (API key name), what, the state before and after, and the result. Use it to see what changed a service recently.',
    inputSchema: z.object({
      cluster: z.string().min(1).max(255).optional(),
      service: z.string().min(1).max(255).optional(),
      limit: z.number().int().min(1).max(100).default(20),
    }),
    outputSchema: z.object({
      records: z.array(
        z.object({
          id: z.string(),
          at: z.string(),
          principal: z.string(),
          action: z.string(),
          cluster: z.string(),
          service: z.string(),
          before: z.record(z.string(), z.unknown()),
          after: z.record(z.string(), z.unknown()),
          result: z.string(),
          error: z.string().nullable(),
        }),
      ),
    }),
    annotations: { ...READ, openWorldHint: false },
    handler: async ({ cluster, service, limit }) => {
      const rows = await listAudit(audit, { cluster: cluster && clusterName(cluster), service: service && serviceName(service), limit });
      return {
        records: rows.map((r) => ({
          id: String(r.id),
          at: new Date(r.created_at).toISOString(),
          principal: r.principal,
          action: r.action,
          cluster: r.cluster,
          service: r.service,
          before: r.before,
          after: r.after,
          result: r.result,
          error: r.error,
        })),
      };
    },
  });

  return [deployImage, rollbackService, scaleService, restartService, waitForStable, listAuditRecords];
}

function deploymentOf(s: Service) {
  const primary = primaryDeployment(s);
  return primary ? summariseDeployment(primary) : null;
}

export type { ImageChange };
