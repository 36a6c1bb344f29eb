// Builds observability-mcp: read-only MCP tools over CloudWatch metrics, alarms and Logs.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { STSClient } from '@aws-sdk/client-sts';
import { createService, packageVersion, type AnyTool, type Logger, type Service } from '@factory/base-server';
import { alarmTools } from './alarms/tools.js';
import { logTools } from './logs/tools.js';
import { metricTools } from './metrics/tools.js';
import { createAwsClients } from './aws/clients.js';
import type { ObservabilityConfig } from './config.js';
import { awsChecks } from './readiness.js';

export { parseObservabilityConfig, observabilityConfigSchema, type ObservabilityConfig } from './config.js';

export const SERVICE_NAME = 'observability-mcp';
export const SERVICE_VERSION = packageVersion(import.meta.url);

export interface ObservabilityDeps {
  cloudwatch?: CloudWatchClient;
  logs?: CloudWatchLogsClient;
  sts?: STSClient;
  /** Serve MCP over stdio (logs go to stderr). */
  stdio?: boolean;
  logger?: Logger;
}

const INSTRUCTIONS =
  'Read-only access to AWS CloudWatch metrics, alarms and logs in one region. ' +
  'Start with get_active_alarms or get_service_health for an overview; use check_alarms as a yes/no gate; ' +
  'search logs with filter_log_events or run_logs_insights_query. Time arguments take ISO 8601 or durations ago like 15m, 3h, 2d.';

/** Every tool this service serves, as data (the control center's catalog is built from this list). */
export function observabilityTools(clients: { cloudwatch: CloudWatchClient; logs: CloudWatchLogsClient }, config: ObservabilityConfig): AnyTool[] {
  return [...metricTools({ cloudwatch: clients.cloudwatch, config }), ...alarmTools({ cloudwatch: clients.cloudwatch, config }), ...logTools({ logs: clients.logs, config })];
}

export function createObservabilityService(config: ObservabilityConfig, deps: ObservabilityDeps = {}): Service {
  const { clients, owned } = createAwsClients(config, deps);
  return createService({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'MCP server over AWS CloudWatch metrics, alarms and logs (read-only).',
    config,
    instructions: INSTRUCTIONS,
    tools: observabilityTools(clients, config),
    checks: awsChecks(clients, config),
    onShutdown: owned.map((client, i) => ({ name: `aws-client-${i + 1}`, close: async () => client.destroy() })),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.stdio ? { stdio: true } : {}),
  });
}
