// The AWS settings every Factory service that talks to AWS reads. Apps spread `awsConfigShape` into
// their own zod schema (after `baseConfigShape`); an app that needs a fixed default region overrides
// AWS_REGION with `awsRegion('us-east-1')`.
import { envInt, z } from '@factory/base-server';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * AWS_REGION. With a default: unset or empty means that region. Without: unset or empty stays
 * undefined and the SDK resolves the region itself (AWS_REGION, profile, instance metadata).
 */
export function awsRegion(): z.ZodType<string | undefined, string | undefined>;
export function awsRegion(defaultRegion: string): z.ZodType<string, string | undefined>;
export function awsRegion(defaultRegion?: string): z.ZodType<string | undefined, string | undefined> {
  const region = z.string().regex(REGION, 'expected an AWS region such as eu-west-1');
  const input = z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? defaultRegion : v.trim()));
  // Without `.optional()` on the output zod runs the transform for an absent key, so the default applies.
  return defaultRegion === undefined ? input.pipe(region.optional()) : input.pipe(region);
}

export const awsConfigShape = {
  /** AWS region; unset lets the SDK resolve it. Apps may override with `awsRegion(default)`. */
  AWS_REGION: awsRegion(),
  /** Time allowed to open a connection to an AWS endpoint. */
  AWS_CONNECT_TIMEOUT_MS: envInt(3_000, 100, 60_000),
  /** Time allowed for one AWS request (per attempt). */
  AWS_REQUEST_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  /** Attempts per AWS call with the SDK's standard retry strategy (1 = no retry). */
  AWS_MAX_ATTEMPTS: envInt(3, 1, 10),
};

/** The parsed settings `awsClientConfig` needs. */
export interface AwsSettings {
  AWS_REGION?: string | undefined;
  AWS_CONNECT_TIMEOUT_MS: number;
  AWS_REQUEST_TIMEOUT_MS: number;
  AWS_MAX_ATTEMPTS: number;
}
