// The `aws_connectivity` readiness check: who are we to AWS? One STS GetCallerIdentity call, which
// needs no IAM permission, so it fails only for missing/invalid credentials or an unreachable AWS.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CheckOutcome, ReadinessCheck } from '@factory/base-server';
import { awsCall, type MapAwsErrorOptions } from './errors.js';

export interface AwsConnectivityCheckOptions {
  /** Reuse the last result for this long (each run costs an STS call); 0 measures on every /ready. */
  minIntervalMs: number;
  /** How failures are worded (the app name); see `mapAwsError`. */
  errors: MapAwsErrorOptions;
}

/** What an SDK v3 client resolves its region and credentials from (AWS_REGION, profile, metadata…). */
export interface AwsClientSetup {
  config: { region: () => Promise<string>; credentials: () => Promise<unknown> };
}

/**
 * `not_configured`, naming what to set, when the client finds no region or no credentials at all (the
 * SDK's own chains: AWS_REGION or the profile; env keys, AWS_PROFILE, SSO, task role, instance
 * metadata); undefined when both resolve. Credentials AWS then rejects are an error, not this.
 */
export async function awsSetupGap(client: AwsClientSetup): Promise<CheckOutcome | undefined> {
  const region = await client.config.region().catch(() => undefined);
  if (!region) return { status: 'not_configured', message: 'no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in the AWS profile' };
  try {
    await client.config.credentials();
  } catch (err) {
    if (/could not load credentials/i.test(err instanceof Error ? err.message : String(err))) {
      return { status: 'not_configured', message: 'no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a task role' };
    }
  }
  return undefined;
}

/** Required check; its details carry the account, the caller ARN and the region the client uses. */
export function awsConnectivityCheck(sts: Pick<STSClient, 'send' | 'config'>, options: AwsConnectivityCheckOptions): ReadinessCheck {
  return {
    name: 'aws_connectivity',
    required: true,
    ...(options.minIntervalMs > 0 ? { minIntervalMs: options.minIntervalMs } : {}),
    async run(signal) {
      const gap = await awsSetupGap(sts);
      if (gap) return gap;
      const id = await awsCall('sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }), options.errors);
      const region = await sts.config.region().catch(() => null);
      return { details: { account: id.Account ?? null, arn: id.Arn ?? null, region } };
    },
  };
}
