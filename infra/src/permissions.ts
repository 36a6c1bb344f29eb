// Least-privilege AWS permissions per service, as data. A service missing here gets a task role with
// no policy at all (github-mcp and memory call no AWS API).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where deploy-mcp publishes the exact IAM actions its tools call (a sorted JSON array). */
export const DEPLOY_MCP_ACTIONS_FILE = fileURLToPath(new URL('../../apps/deploy-mcp/iam-actions.json', import.meta.url));

/** Reads deploy-mcp's IAM actions at synth time, so the role follows the code instead of a copy. */
export function readDeployMcpActions(file = DEPLOY_MCP_ACTIONS_FILE): string[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`cannot read ${file}: deploy-mcp keeps the IAM actions its tools call there, and the task role is built from it`);
  }
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string' && /^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(a))) {
    throw new Error(`${file} must be a non-empty JSON array of IAM actions such as "ecs:DescribeServices"`);
  }
  return [...new Set(parsed as string[])].sort();
}

/**
 * Read-only CloudWatch metrics, alarms and Logs (observability-mcp): exactly the commands its code sends
 * (test/factory-stack.test.ts compares this list with the `*Command`s in apps/observability-mcp/src).
 */
export const OBSERVABILITY_ACTIONS: readonly string[] = [
  'cloudwatch:DescribeAlarmHistory',
  'cloudwatch:DescribeAlarms',
  'cloudwatch:DescribeAlarmsForMetric',
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'logs:DescribeLogGroups',
  'logs:FilterLogEvents',
  'logs:GetQueryResults',
  'logs:StartQuery',
  'sts:GetCallerIdentity',
];

/** The control center publishes the factory metrics, and nothing else. */
export const CONTROL_CENTER_ACTIONS: readonly string[] = ['cloudwatch:PutMetricData'];

/** The CloudWatch namespace of the factory metrics (control center's default). */
export const DEFAULT_METRICS_NAMESPACE = 'Factory';
