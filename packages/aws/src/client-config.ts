// Options for every AWS SDK v3 client a Factory service builds: region (when set), explicit connect
// and per-attempt request timeouts, and the SDK's standard retry strategy with bounded attempts.
import type { AwsSettings } from './config.js';

export interface AwsClientConfig {
  region?: string;
  maxAttempts: number;
  retryMode: 'standard';
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

/** `new ECSClient(awsClientConfig(config))`; an unset region is left for the SDK to resolve. */
export function awsClientConfig(config: AwsSettings): AwsClientConfig {
  return {
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
    maxAttempts: config.AWS_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: config.AWS_CONNECT_TIMEOUT_MS, requestTimeout: config.AWS_REQUEST_TIMEOUT_MS },
  };
}
