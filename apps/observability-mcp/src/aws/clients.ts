// The three AWS SDK clients, built with the shared house defaults of @factory/aws: explicit region,
// connect and request timeouts, and the SDK's standard retry strategy with a bounded number of attempts.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '@factory/aws';
import type { ObservabilityConfig } from '../config.js';

export interface AwsClients {
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  sts: STSClient;
}

/** Builds the clients that were not injected. Returns which ones it built, so only those are destroyed. */
export function createAwsClients(config: ObservabilityConfig, injected: Partial<AwsClients> = {}): { clients: AwsClients; owned: Array<{ destroy(): void }> } {
  const options = awsClientConfig(config);
  const owned: Array<{ destroy(): void }> = [];
  const cloudwatch = injected.cloudwatch ?? new CloudWatchClient(options);
  if (!injected.cloudwatch) owned.push(cloudwatch);
  const logs = injected.logs ?? new CloudWatchLogsClient(options);
  if (!injected.logs) owned.push(logs);
  const sts = injected.sts ?? new STSClient(options);
  if (!injected.sts) owned.push(sts);
  return { clients: { cloudwatch, logs, sts }, owned };
}
