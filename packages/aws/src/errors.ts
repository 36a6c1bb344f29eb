// AWS failures become AppErrors whose messages tell the calling model (or operator) what to fix.
// The classification is the same for every service; what differs per app is passed as options.
import { AppError, BadRequestError, ForbiddenError, NotFoundError, RateLimitError, ServiceUnavailableError, UpstreamError } from '@factory/base-server';

/** A mapping an app adds before the generic ones, e.g. ECS's ClusterNotFoundException. */
export interface AwsErrorRule {
  /** AWS error names (or codes) this rule applies to. */
  names: readonly string[];
  /** When set, the first line of the AWS message must also match. */
  messagePattern?: RegExp;
  /** `not_found` → NotFoundError (404); `bad_request` → BadRequestError (400). */
  kind: 'not_found' | 'bad_request';
  code: string;
  /** The whole message; `awsMessage` is the first line of AWS's text. */
  message: (action: string, awsMessage: string) => string;
}

export interface MapAwsErrorOptions {
  /** The service name used in messages, e.g. "deploy-mcp". */
  app: string;
  /** Appended to the access-denied advice, e.g. " (the full list is in apps/x/iam-actions.json)". */
  permissionsHint?: string;
  /** App-specific mappings, checked in order before the generic ones. */
  rules?: readonly AwsErrorRule[];
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException', 'AuthorizationError', 'NotAuthorized']);
const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceeded',
  'LimitExceededException',
  'ServiceQuotaExceededException',
]);
const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceNotFoundException', 'TargetNotFoundException']);
const INVALID = new Set([
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterCombinationException',
  'InvalidParameterInput',
  'MissingParameter',
  'MissingRequiredParameterException',
  'ValidationError',
  'ValidationException',
  'MalformedQueryException',
  'InvalidNextToken',
  'InvalidFormat',
  'InvalidFormatFault',
  'InvalidOperationException',
  'ClientException',
  'UnsupportedFeatureException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
]);
const UNREACHABLE = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const SERVER = new Set(['ServerException', 'InternalFailure', 'ServiceUnavailable']);

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The AWS error name: `name`, else `code`/`Code` (network errors carry only a code). */
function errorNames(err: unknown): { name: string; code: string } {
  if (typeof err !== 'object' || err === null) return { name: '', code: '' };
  const e = err as AwsLikeError;
  const code = [e.code, e.Code].find((v): v is string => typeof v === 'string') ?? '';
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : code;
  return { name, code };
}

/** First line of the AWS message, at most 300 characters. */
function awsMessage(err: unknown, fallback: string): string {
  const raw = err instanceof Error ? err.message : typeof err === 'object' && err !== null && typeof (err as AwsLikeError).message === 'string' ? ((err as AwsLikeError).message as string) : String(err);
  const line = (raw.split('\n', 1)[0] ?? '').trim();
  if (!line) return fallback;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * Maps anything an AWS SDK call (or the network under it) threw for `action` (an IAM action such as
 * "ecs:UpdateService") to an AppError. AppErrors pass through unchanged.
 */
export function mapAwsError(err: unknown, action: string, options: MapAwsErrorOptions): AppError {
  if (err instanceof AppError) return err;
  const { name, code } = errorNames(err);
  const msg = awsMessage(err, name || 'unknown error');
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsLikeError;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const opts = { cause: err, details: { aws_error: name || 'unknown', action } };

  if (name === 'AbortError') {
    return new AppError('aws_call_aborted', `${action} was cancelled before AWS answered.`, { ...opts, status: 499, type: 'api_error' });
  }
  // A 2xx answer the SDK could not read (not XML/JSON, wrong shape), or code tripping over such an answer.
  const raw = err instanceof Error ? err.message : '';
  if (/Deserialization error|XML parse error|JSON parse error/i.test(raw) || err instanceof SyntaxError || err instanceof TypeError || (status !== undefined && status >= 200 && status < 300)) {
    return new UpstreamError('aws_unexpected_answer', `AWS answered something unexpected for ${action}; try again shortly, and report it if it persists.`, opts);
  }
  for (const rule of options.rules ?? []) {
    if (!rule.names.includes(name) || (rule.messagePattern && !rule.messagePattern.test(msg))) continue;
    const text = rule.message(action, msg);
    return rule.kind === 'not_found' ? new NotFoundError(rule.code, text, opts) : new BadRequestError(rule.code, text, opts);
  }
  // The SDK's region chain (AWS_REGION, the profile's region, instance metadata) found nothing.
  if (/region is missing/i.test(msg)) return regionMissing(action, options, opts);
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(msg)) return accessDenied(action, msg, options, opts);
  if (CREDENTIALS.has(name) || /could not load credentials/i.test(msg)) {
    return new ServiceUnavailableError(
      'aws_credentials_invalid',
      `${options.app} has no valid AWS credentials for ${action} (${msg}). Configure the task role or AWS credentials of the server.`,
      opts,
    );
  }
  if (status === 403) return accessDenied(action, msg, options, opts);
  if (THROTTLED.has(name) || status === 429) {
    return new RateLimitError(`AWS throttled ${action}: ${msg}. Wait a few seconds and try again, with a narrower request if possible.`, 5, opts);
  }
  if (NOT_FOUND.has(name)) {
    return new NotFoundError('aws_resource_not_found', `${action}: ${msg.replace(/\.+$/, '')}. Check the name (list it first with the matching describe/list tool).`, opts);
  }
  if (INVALID.has(name) || (e.$fault === 'client' && status === 400)) {
    return new BadRequestError('aws_invalid_request', `AWS rejected ${action} as invalid: ${msg}. Check the arguments and try again.`, opts);
  }
  if (UNREACHABLE.has(name) || UNREACHABLE.has(code) || /timed? ?out|socket hang up|ECONNREFUSED|ENOTFOUND/i.test(msg)) {
    return new UpstreamError('aws_unreachable', `Could not reach AWS for ${action} (${msg}). Check the network and AWS_REGION, then try again.`, opts);
  }
  if (SERVER.has(name)) {
    return new UpstreamError('aws_server_error', `AWS failed ${action} on its side (${name}). Try again shortly.`, opts);
  }
  return new UpstreamError('aws_error', `AWS call ${action} failed: ${name && !msg.startsWith(name) ? `${name}: ` : ''}${msg}`, opts);
}

/** No region from AWS_REGION, the AWS profile or instance metadata: which setting to give. */
function regionMissing(action: string, options: MapAwsErrorOptions, opts: { cause?: unknown; details?: Record<string, unknown> } = {}): AppError {
  return new ServiceUnavailableError('aws_region_missing', `${options.app} does not know which AWS region to call for ${action}: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in the AWS profile.`, {
    ...opts,
    retryable: false,
  });
}

function accessDenied(action: string, msg: string, options: MapAwsErrorOptions, opts: { cause: unknown; details: Record<string, unknown> }): AppError {
  return new ForbiddenError(
    'aws_access_denied',
    `AWS denied ${action}: ${msg}. Grant ${action} to the ${options.app} task role${options.permissionsHint ?? ''}.`,
    opts,
  );
}

/** Runs one AWS call and throws its failure mapped by `mapAwsError`. */
export async function awsCall<T>(action: string, fn: () => Promise<T>, options: MapAwsErrorOptions): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapAwsError(err, action, options);
  }
}
