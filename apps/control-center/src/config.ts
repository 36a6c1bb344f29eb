// Configuration of the control center: the only module that reads process.env.
import { baseConfigShape, envBoolean, envInt, loadConfig as loadBaseConfig, parseConfig, z } from '@factory/base-server';

/** One registered service. `url` is an allowlist entry: the control center never fetches a URL a request supplies. */
export const serviceEntrySchema = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'service names are lower-case letters, digits and dashes')
    .describe('Service name, used in URLs, metrics and readiness check names (mcp-<name>)'),
  url: z.url().describe('Base URL; /health, /ready and /mcp are appended'),
  apiKey: z.string().min(1).optional().describe('Bearer key for /mcp; never logged'),
  sharedApiKey: z
    .boolean()
    .default(false)
    .describe('Send SERVICES_API_KEY to this server when it has no apiKey of its own (off unless the entry opts in, so the shared key never reaches a server nobody chose to trust with it)'),
  required: z.boolean().default(true).describe('Whether the factory is unavailable while this service is not ready'),
  mcp: z.boolean().default(true).describe('Whether the service serves MCP at POST /mcp'),
  probe: z
    .object({ tool: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}) })
    .optional()
    .describe('A read-only tool the synthetic probe calls on a schedule'),
});
export type ServiceEntryInput = z.input<typeof serviceEntrySchema>;

export const DEFAULT_SERVICES: ServiceEntryInput[] = [
  { name: 'github-mcp', url: 'http://127.0.0.1:3001', required: true, mcp: true, sharedApiKey: true },
  { name: 'deploy-mcp', url: 'http://127.0.0.1:3002', required: true, mcp: true, sharedApiKey: true },
  { name: 'observability-mcp', url: 'http://127.0.0.1:3003', required: true, mcp: true, sharedApiKey: true },
  { name: 'memory', url: 'http://127.0.0.1:3004', required: true, mcp: true, sharedApiKey: true },
  { name: 'memory-worker', url: 'http://127.0.0.1:3005', required: false, mcp: false },
];

const servicesSetting = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    let value: unknown = DEFAULT_SERVICES;
    if (raw !== undefined && raw.trim() !== '') {
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"name","url",...} objects' });
        return z.NEVER;
      }
    }
    // No fixed cap: the poller is measured at 5,000 services (README, bench/control-center.bench.mjs).
    const parsed = z.array(serviceEntrySchema).safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({ code: 'custom', message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
      return z.NEVER;
    }
    const names = new Set<string>();
    for (const s of parsed.data) {
      if (names.has(s.name)) {
        ctx.addIssue({ code: 'custom', message: `service "${s.name}" is listed twice` });
        return z.NEVER;
      }
      names.add(s.name);
    }
    return parsed.data;
  });

/** Settings of workflows (src/workflows), read by the API and by the workflow worker. */
const workflowShape = {
  WORKFLOW_QUEUE_PREFIX: z.string().min(1).default('bull'),
  WORKFLOW_WORKER_CONCURRENCY: envInt(10, 1, 500),
  /** How long a worker holds a step job without renewing its lock; a killed worker's step runs again after about this long. */
  WORKFLOW_WORKER_LOCK_MS: envInt(30_000, 500, 600_000),
  WORKFLOW_WORKER_STALLED_INTERVAL_MS: envInt(15_000, 200, 600_000),
  WORKFLOW_STEP_TIMEOUT_MS: envInt(60_000, 100, 3_600_000),
  WORKFLOW_EXPRESSION_TIMEOUT_MS: envInt(100, 1, 10_000),
  WORKFLOW_EXPRESSION_MAX_RESULT_CHARS: envInt(256 * 1024, 1_024, 16 * 1024 * 1024),
  /** How long a server's tools/list (annotations, input schemas) is reused by workflow checks. */
  WORKFLOW_TOOLS_TTL_MS: envInt(60_000, 0, 3_600_000),
  WORKFLOW_RETENTION_DAYS: envInt(30, 1, 3650),
  WORKFLOW_RETENTION_BATCH: envInt(500, 1, 100_000),
  WORKFLOW_RETENTION_INTERVAL_MS: envInt(3_600_000, 1_000, 86_400_000),
  /** How often queued steps whose job Redis does not hold are queued again (one job scheduler across all workers). */
  WORKFLOW_REQUEUE_INTERVAL_MS: envInt(60_000, 1_000, 3_600_000),
};

const fraction = (defaultValue: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return defaultValue;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 0.9) {
        ctx.addIssue({ code: 'custom', message: `expected a number from 0 to 0.9, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: envInt(3000, 0, 65535),
  DATABASE_URL: z.string().optional(),
  PGLITE_DATA_DIR: z.string().optional(),
  /** Postgres schema of the control center's tables (default: the connection's search_path, normally public). */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case Postgres schema name').optional(),
  REDIS_URL: z.string().optional(),
  SERVICES: servicesSetting,
  SERVICES_API_KEY: z.string().min(1).optional(),
  POLL_INTERVAL_MS: envInt(15_000, 200, 3_600_000),
  POLL_JITTER: fraction(0.2),
  /** Probes actively waiting for an answer at once; a probe unanswered past the stall threshold stops counting. */
  POLL_CONCURRENCY: envInt(50, 1, 1000),
  /** Probes in flight at once, stalled ones included; each holds at most two sockets (/health and /ready). */
  POLL_MAX_IN_FLIGHT: envInt(1_000, 1, 50_000),
  HEALTH_TIMEOUT_MS: envInt(1_000, 50, 60_000),
  READY_TIMEOUT_MS: envInt(5_000, 50, 60_000),
  /** Hard bound of a sweep's probe phase (default: READY_TIMEOUT_MS + 10 %); probes still running then count as timed out. */
  POLL_SWEEP_DEADLINE_MS: envInt(0, 0, 600_000),
  /** Observations kept in memory while Postgres cannot take them; past this the oldest sweeps are dropped (counted). */
  POLL_BUFFER_OBSERVATIONS: envInt(200_000, 1_000, 10_000_000),
  QUEUE_VIEW_TIMEOUT_MS: envInt(2_000, 50, 60_000),
  INCIDENT_FAILURE_THRESHOLD: envInt(2, 1, 100),
  RAW_RETENTION_HOURS: envInt(48, 1, 24 * 90),
  CATALOG_INTERVAL_MS: envInt(300_000, 1_000),
  PROBE_INTERVAL_MS: envInt(60_000, 1_000),
  MCP_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  MEMORY_QUEUE_NAME: z.string().min(1).default('memory-compression'),
  MEMORY_QUEUE_PREFIX: z.string().min(1).default('bull'),
  CLOUDWATCH_ENABLED: envBoolean(false),
  CLOUDWATCH_NAMESPACE: z.string().min(1).max(255).default('Factory'),
  AWS_REGION: z.string().optional(),
  POLLER_ENABLED: envBoolean(true),
  DASHBOARD_REFRESH_MS: envInt(5_000, 500, 600_000),
  // Several replicas (src/replicas/): who sweeps what is decided by BullMQ job schedulers on REDIS_URL.
  /** `shared`: replicas split the polling through BullMQ on REDIS_URL; `local`: this process polls everything; `auto`: shared when REDIS_URL is set. */
  POLLER_MODE: z.enum(['auto', 'local', 'shared']).default('auto'),
  /** Slices of the registry, each swept by one replica per interval (spread over the replicas). */
  POLL_SHARDS: envInt(12, 1, 256),
  /** Key prefix of the poller's BullMQ queues (every replica of one control center uses the same). */
  POLLER_QUEUE_PREFIX: z.string().min(1).default('factory-cc'),
  ...workflowShape,
});

export type Config = z.infer<typeof configSchema>;

/** The workflow worker reads WORKFLOW_WORKER_PORT (default 3006) as its port, so it never collides with the API's PORT. */
export const workflowWorkerConfigSchema = configSchema.extend({ PORT: envInt(3006, 0, 65535) });
const workflowWorkerEnv = (env: Record<string, string | undefined>) => ({ ...env, PORT: env.WORKFLOW_WORKER_PORT });
export const parseWorkflowWorkerConfig = (env: Record<string, string | undefined>): Readonly<Config> => parseConfig(workflowWorkerConfigSchema, workflowWorkerEnv(env));
export const loadWorkflowWorkerConfig = (env: Record<string, string | undefined> = process.env): Readonly<Config> => loadBaseConfig(workflowWorkerConfigSchema, workflowWorkerEnv(env));

/** POLL_SWEEP_DEADLINE_MS, or the /ready timeout + 10 % when unset (0). */
export const sweepDeadlineMs = (c: Pick<Config, 'POLL_SWEEP_DEADLINE_MS' | 'READY_TIMEOUT_MS'>): number => c.POLL_SWEEP_DEADLINE_MS || Math.round(c.READY_TIMEOUT_MS * 1.1);
export type ServiceEntry = Config['SERVICES'][number];

/** Whether this process shares the polling with other replicas (BullMQ on REDIS_URL) rather than polling everything itself. */
export const sharedPolling = (c: Pick<Config, 'POLLER_MODE' | 'REDIS_URL'>): boolean => c.POLLER_MODE === 'shared' || (c.POLLER_MODE === 'auto' && !!c.REDIS_URL);

/** Parses settings (tests pass their own env); throws ConfigError naming the bad variable. */
export const parseControlCenterConfig = (env: Record<string, string | undefined>): Readonly<Config> => parseConfig(configSchema, env);

/** For the entry point: exits with one clear line on a bad setting. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): Readonly<Config> => loadBaseConfig(configSchema, env);
