// @factory/aws: what every Factory service that talks to AWS shares.
export { awsConfigShape, awsRegion, type AwsSettings } from './config.js';
export { awsClientConfig, type AwsClientConfig } from './client-config.js';
export { mapAwsError, awsCall, type MapAwsErrorOptions, type AwsErrorRule } from './errors.js';
export { awsConnectivityCheck, awsSetupGap, type AwsClientSetup, type AwsConnectivityCheckOptions } from './readiness.js';
