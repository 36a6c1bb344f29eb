// AWS SDK clients with house defaults: explicit connect and request timeouts, standard retries.
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import type { DeployConfig } from '../config.js';

export interface AwsClients {
  ecs: ECSClient;
  sts: STSClient;
}

type AwsSettings = Pick<DeployConfig, 'AWS_REGION' | 'AWS_CONNECT_TIMEOUT_MS' | 'AWS_REQUEST_TIMEOUT_MS' | 'AWS_MAX_ATTEMPTS'>;

function clientOptions(config: AwsSettings) {
  return {
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
    maxAttempts: config.AWS_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: config.AWS_CONNECT_TIMEOUT_MS, requestTimeout: config.AWS_REQUEST_TIMEOUT_MS },
  };
}

export function createAwsClients(config: AwsSettings): AwsClients {
  return { ecs: new ECSClient(clientOptions(config)), sts: new STSClient(clientOptions(config)) };
}
