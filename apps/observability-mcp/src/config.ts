// Configuration for observability-mcp: the only module of this app that reads process.env.
import { awsConfigShape } from '@factory/aws';
import { baseConfigShape, envInt, loadConfig, parseConfig, z } from '@factory/base-server';

export const observabilityConfigSchema = z.object({
  ...baseConfigShape,
  PORT: envInt(3003, 0, 65535),
  /**
   * AWS_REGION (unset: the SDK's chain, as for deploy-mcp), AWS_CONNECT_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS,
   * AWS_MAX_ATTEMPTS: the settings shared with deploy-mcp.
   */
  ...awsConfigShape,
  /** How long /ready reuses the result of the AWS checks (they cost API calls). */
  AWS_READY_MIN_INTERVAL_MS: envInt(30_000, 0, 3_600_000),
  /** Upper bound of pages fetched by one tool call from a paginated AWS API. */
  AWS_MAX_PAGES: envInt(10, 1, 100),
  /** Default points per metric series after downsampling. */
  METRIC_MAX_POINTS: envInt(60, 2, 1_440),
  /** Characters kept of one log line or Logs Insights field value. */
  LOG_LINE_MAX_CHARS: envInt(500, 50, 10_000),
  /** Characters of log text one tool result may carry in total. */
  LOG_OUTPUT_MAX_CHARS: envInt(40_000, 1_000, 1_000_000),
  /** Longest time run_logs_insights_query waits for results before returning the query id. */
  LOGS_QUERY_MAX_WAIT_MS: envInt(20_000, 0, 120_000),
  /** Interval between GetQueryResults polls while waiting. */
  LOGS_QUERY_POLL_INTERVAL_MS: envInt(1_000, 1, 30_000),
});

export type ObservabilityConfig = z.infer<typeof observabilityConfigSchema>;

/** Parses configuration from an env-like record; throws ConfigError naming the bad variable. */
export function parseObservabilityConfig(env: Record<string, string | undefined>): Readonly<ObservabilityConfig> {
  return parseConfig(observabilityConfigSchema, env);
}

/** For the entry point: parses process.env, exits 1 with one line on a bad setting. */
export function loadObservabilityConfig(env: Record<string, string | undefined> = process.env): Readonly<ObservabilityConfig> {
  return loadConfig(observabilityConfigSchema, env);
}
