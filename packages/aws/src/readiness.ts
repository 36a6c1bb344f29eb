// The `aws_connectivity` readiness check: who are we to AWS? One STS GetCallerIdentity call, which
// needs no IAM permission, so it fails only for missing/invalid credentials or an unreachable AWS.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { ReadinessCheck } from '@factory/base-server';
import { awsCall, type MapAwsErrorOptions } from './errors.js';

export interface AwsConnectivityCheckOptions {
  /** Reuse the last result for this long (each run costs an STS call); 0 measures on every /ready. */
  minIntervalMs: number;
  /** How failures are worded (the app name); see `mapAwsError`. */
  errors: MapAwsErrorOptions;
}

/** Required check; its details carry the account, the caller ARN and the region the client uses. */
export function awsConnectivityCheck(sts: Pick<STSClient, 'send' | 'config'>, options: AwsConnectivityCheckOptions): ReadinessCheck {
  return {
    name: 'aws_connectivity',
    required: true,
    ...(options.minIntervalMs > 0 ? { minIntervalMs: options.minIntervalMs } : {}),
    async run(signal) {
      const id = await awsCall('sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }), options.errors);
      const region = await sts.config.region().catch(() => null);
      return { details: { account: id.Account ?? null, arn: id.Arn ?? null, region } };
    },
  };
}
