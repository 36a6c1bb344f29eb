// The `aws_connectivity` readiness check: who are we to AWS? One STS GetCallerIdentity call, which
// needs no IAM permission, so it fails only for missing/invalid credentials or an unreachable AWS.
// A server with no region or no credentials at all is `not_configured` (a neutral state naming the
// settings), not an error: so are the app's other AWS checks, wrapped with `whenAwsConfigured`.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CheckOutcome, ReadinessCheck } from '@factory/base-server';
import { awsCall, type MapAwsErrorOptions } from './errors.js';

export interface AwsConnectivityCheckOptions {
  /** Reuse the last result for this long (each run costs an STS call); 0 measures on every /ready. */
  minIntervalMs: number;
  /** How failures are worded (the app name); see `mapAwsError`. */
  errors: MapAwsErrorOptions;
}

/** What every AWS SDK v3 client's resolved config offers. */
export interface AwsClientLike {
  config: { region: () => Promise<string>; credentials: () => Promise<unknown> };
}

export const AWS_REGION_MISSING = 'AWS_REGION is not set: set AWS_REGION (e.g. eu-west-1) to use AWS';
export const AWS_CREDENTIALS_MISSING =
  'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (on ECS the task role provides them)';

/** `not_configured` when the client resolves no region or finds no credentials in the default chain; undefined otherwise. */
export async function awsNotConfigured(client: AwsClientLike): Promise<CheckOutcome | undefined> {
  const region = await client.config.region().catch(() => undefined);
  if (!region) return { status: 'not_configured', message: AWS_REGION_MISSING };
  try {
    await client.config.credentials();
  } catch (err) {
    // Only "nothing is configured" is neutral; a configured source that fails (expired SSO, bad profile) is an error.
    if (/could not load credentials from any providers/i.test(err instanceof Error ? err.message : String(err))) {
      return { status: 'not_configured', message: AWS_CREDENTIALS_MISSING };
    }
  }
  return undefined;
}

/** The same check, answering `not_configured` (without calling AWS) while region or credentials are missing. */
export function whenAwsConfigured(client: AwsClientLike, check: ReadinessCheck): ReadinessCheck {
  return { ...check, run: async (signal) => (await awsNotConfigured(client)) ?? check.run(signal) };
}

/** Required check; its details carry the account, the caller ARN and the region the client uses. */
export function awsConnectivityCheck(sts: Pick<STSClient, 'send' | 'config'>, options: AwsConnectivityCheckOptions): ReadinessCheck {
  return whenAwsConfigured(sts, {
    name: 'aws_connectivity',
    required: true,
    ...(options.minIntervalMs > 0 ? { minIntervalMs: options.minIntervalMs } : {}),
    async run(signal) {
      const id = await awsCall('sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }), options.errors);
      const region = await sts.config.region().catch(() => null);
      return { details: { account: id.Account ?? null, arn: id.Arn ?? null, region } };
    },
  });
}
