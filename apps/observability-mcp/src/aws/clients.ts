// The three AWS SDK clients, built with house defaults: explicit region, connection and request
// timeouts, and the SDK's standard retry strategy with a bounded number of attempts.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { STSClient } from '@aws-sdk/client-sts';
import type { ObservabilityConfig } from '../config.js';

export interface AwsClients {
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  sts: STSClient;
}

export function awsClientOptions(config: ObservabilityConfig) {
  return {
    region: config.AWS_REGION,
    maxAttempts: config.AWS_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: config.AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: config.AWS_REQUEST_TIMEOUT_MS,
    },
  } as const;
}

/** Builds the clients that were not injected. Returns which ones it built, so only those are destroyed. */
export function createAwsClients(config: ObservabilityConfig, injected: Partial<AwsClients> = {}): { clients: AwsClients; owned: Array<{ destroy(): void }> } {
  const options = awsClientOptions(config);
  const owned: Array<{ destroy(): void }> = [];
  const cloudwatch = injected.cloudwatch ?? new CloudWatchClient(options);
  if (!injected.cloudwatch) owned.push(cloudwatch);
  const logs = injected.logs ?? new CloudWatchLogsClient(options);
  if (!injected.logs) owned.push(logs);
  const sts = injected.sts ?? new STSClient(options);
  if (!injected.sts) owned.push(sts);
  return { clients: { cloudwatch, logs, sts }, owned };
}
