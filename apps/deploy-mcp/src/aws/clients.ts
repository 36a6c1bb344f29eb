// The ECS and STS clients, built with the shared house defaults (timeouts, standard retries).
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, type AwsSettings } from '@factory/aws';

export interface AwsClients {
  ecs: ECSClient;
  sts: STSClient;
}

export function createAwsClients(config: AwsSettings): AwsClients {
  return { ecs: new ECSClient(awsClientConfig(config)), sts: new STSClient(awsClientConfig(config)) };
}
