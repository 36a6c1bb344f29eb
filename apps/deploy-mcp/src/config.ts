// deploy-mcp configuration: the only module that reads process.env. Parsed once at start-up, frozen.
import { awsConfigShape } from '@factory/aws';
import { hostname } from 'node:os';
import { baseConfigShape, envBoolean, envInt, envList, loadConfig as loadBaseConfig, parseConfig, redisTimeoutShape, z } from '@factory/base-server';

/** `cluster/service` or `cluster/*`: names, not ARNs; no wildcard for the cluster. */
const ALLOW_ENTRY = /^[A-Za-z0-9_-]{1,255}\/([A-Za-z0-9_-]{1,255}|\*)$/;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** An optional setting where an empty value (common in compose files) means unset. */
const optional = <T extends z.ZodType<unknown, string>>(inner: T) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(inner.optional());

export const configSchema = z
  .object({
    ...baseConfigShape,
    PORT: envInt(3002, 0, 65535),
    /** AWS_REGION (unset: the SDK resolves it), AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, AWS_MAX_ATTEMPTS. */
    ...awsConfigShape,
    /** Clusters the `ecs_permissions` readiness check describes. */
    DEPLOY_CLUSTERS: envList([]).pipe(
      z.array(z.string().regex(NAME, 'expected cluster names (letters, digits, - and _), comma-separated')),
    ),
    DEPLOY_READY_MIN_INTERVAL_MS: envInt(60_000, 0),
    DEPLOY_ALLOW_WRITE: envBoolean(false),
    DEPLOY_ALLOWED_SERVICES: envList([]).pipe(
      z.array(z.string().regex(ALLOW_ENTRY, 'expected entries like "cluster/service" or "cluster/*", comma-separated')),
    ),
    DEPLOY_MIN_DESIRED_COUNT: envInt(1, 0, 10_000),
    DEPLOY_MAX_DESIRED_COUNT: envInt(10, 0, 10_000),
    /** Upper bound for wait_for_stable (and its default). */
    DEPLOY_STABLE_TIMEOUT_MS: envInt(600_000, 1_000, 3_600_000),
    DEPLOY_POLL_INTERVAL_MS: envInt(10_000, 10, 300_000),
    /** How long deploy_image / scale_service watch the guard alarms after acting. */
    DEPLOY_GUARD_WATCH_MS: envInt(180_000, 0, 3_600_000),
    DEPLOY_GUARD_POLL_INTERVAL_MS: envInt(15_000, 10, 300_000),
    OBSERVABILITY_MCP_URL: optional(z.url()),
    OBSERVABILITY_MCP_API_KEY: optional(z.string()),
    OBSERVABILITY_MCP_TIMEOUT_MS: envInt(10_000, 100, 120_000),
    /** Audit records (writes only). Unset: an embedded PGlite database in PGLITE_DATA_DIR. */
    DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')),
    PGLITE_DATA_DIR: z.string().min(1).default('.data/deploy-mcp'),
    /** Postgres schema of the audit table (default: the connection's search_path, i.e. public). */
    DATABASE_SCHEMA: optional(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case schema name')),
    /**
     * Redis for durable guard watches (BullMQ queue deploy-guard-watch, resumed by any replica) and the
     * replicas' shared rate limits. Unset: watches run in-process and are lost when the process stops.
     */
    REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')),
    ...redisTimeoutShape,
    QUEUE_PREFIX: z.string().min(1).default('bull'),
    /** How long a replica holds a running watch without renewing it: how soon another replica takes over a dead one's watch. */
    DEPLOY_GUARD_LOCK_MS: envInt(30_000, 1_000, 600_000),
    /** This process in audit records; default hostname:pid (on ECS the hostname is the task's). */
    REPLICA_ID: z
      .string()
      .max(200)
      .optional()
      .transform((v) => (v === undefined || v.trim() === '' ? `${hostname()}:${process.pid}` : v.trim())),
  })
  .superRefine((c, ctx) => {
    if (c.DEPLOY_ALLOW_WRITE && c.DEPLOY_ALLOWED_SERVICES.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['DEPLOY_ALLOWED_SERVICES'],
        message: 'required when DEPLOY_ALLOW_WRITE=true (e.g. "prod/web,staging/*")',
      });
    }
    if (c.DEPLOY_MIN_DESIRED_COUNT > c.DEPLOY_MAX_DESIRED_COUNT) {
      ctx.addIssue({ code: 'custom', path: ['DEPLOY_MIN_DESIRED_COUNT'], message: 'must not be above DEPLOY_MAX_DESIRED_COUNT' });
    }
    if (c.REDIS_URL && c.DEPLOY_ALLOW_WRITE && !c.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required when REDIS_URL is set with DEPLOY_ALLOW_WRITE=true: replicas share guard watches, so they must share the audit database' });
    }
    if (c.OBSERVABILITY_MCP_API_KEY && !c.OBSERVABILITY_MCP_URL) {
      ctx.addIssue({ code: 'custom', path: ['OBSERVABILITY_MCP_URL'], message: 'required when OBSERVABILITY_MCP_API_KEY is set' });
    }
  });

export type DeployConfig = z.infer<typeof configSchema>;

/** Parses a given environment (tests, tools); throws ConfigError naming the bad variable. */
export function parseDeployConfig(env: Record<string, string | undefined>): Readonly<DeployConfig> {
  return parseConfig(configSchema, env);
}

/** For the entry point: parses process.env, or prints one line and exits 1. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<DeployConfig> {
  return loadBaseConfig(configSchema, env);
}
