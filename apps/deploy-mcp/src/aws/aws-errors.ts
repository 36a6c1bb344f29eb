// AWS failures become AppErrors with messages that say what to fix. Mapped once, in `awsCall`.
import {
  AppError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  UpstreamError,
} from '@factory/base-server';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'AuthorizationError']);
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NOT_FOUND = new Set([
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'ResourceNotFoundException',
  'TargetNotFoundException',
]);
const INVALID = new Set(['InvalidParameterException', 'ValidationException', 'ClientException', 'UnsupportedFeatureException', 'PlatformUnknownException', 'PlatformTaskDefinitionIncompatibilityException']);
const CREDENTIALS = new Set(['CredentialsProviderError', 'ExpiredTokenException', 'ExpiredToken', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch']);
const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN']);

function errorName(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { name?: unknown; code?: unknown; Code?: unknown };
  for (const v of [e.name, e.code, e.Code]) if (typeof v === 'string' && v !== 'Error') return v;
  return '';
}

function awsMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const line = (raw.split('\n', 1)[0] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** "ecs:UpdateService" for an UpdateServiceCommand sent by an ECS client. */
export function iamAction(service: 'ecs' | 'sts', command: object): string {
  return `${service}:${command.constructor.name.replace(/Command$/, '')}`;
}

/** Maps an AWS SDK error (or network failure) for `action` to an AppError. AppErrors pass through. */
export function mapAwsError(err: unknown, action: string): AppError {
  if (err instanceof AppError) return err;
  const name = errorName(err);
  const msg = awsMessage(err);
  const opts = { cause: err, details: { aws_error: name || 'unknown', action } };
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(msg)) {
    return new ForbiddenError(
      'aws_access_denied',
      `AWS denied ${action}: ${msg}. Grant ${action} to the deploy-mcp task role (the full list is in apps/deploy-mcp/iam-actions.json).`,
      opts,
    );
  }
  if (THROTTLED.has(name)) {
    return new RateLimitError(`AWS throttled ${action} even after retries (${name}). Wait a few seconds and try again.`, 5, opts);
  }
  if (name === 'LimitExceededException') {
    return new BadRequestError('aws_limit_exceeded', `AWS refused ${action} because an account quota is exhausted: ${msg}.`, opts);
  }
  if (name === 'ClusterNotFoundException') {
    return new NotFoundError('cluster_not_found', `${action}: the cluster does not exist in this account/region (${msg}). Use list_clusters to see the clusters.`, opts);
  }
  if (name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException') {
    return new NotFoundError('service_not_found', `${action}: the service does not exist or is not active (${msg}). Use list_services to see the services.`, opts);
  }
  if (NOT_FOUND.has(name)) return new NotFoundError('aws_not_found', `${action}: not found (${msg}).`, opts);
  if (name === 'ClientException' && /unable to describe task definition|task definition.*(not found|does not exist)/i.test(msg)) {
    return new NotFoundError('task_definition_not_found', `${action}: the task definition does not exist (${msg}). Use list_task_definition_revisions to see the revisions.`, opts);
  }
  if (INVALID.has(name)) {
    return new BadRequestError('aws_invalid_request', `AWS rejected ${action} as invalid: ${msg}. Check the arguments and try again.`, opts);
  }
  if (CREDENTIALS.has(name) || /could not load credentials|credential/i.test(msg)) {
    return new ServiceUnavailableError(
      'aws_credentials',
      `deploy-mcp has no valid AWS credentials for ${action} (${name || msg}). Configure the task role or AWS credentials of the server.`,
      opts,
    );
  }
  if (NETWORK.has(name) || /timed? ?out|socket hang up|ECONNREFUSED|ENOTFOUND/i.test(msg)) {
    return new ServiceUnavailableError('aws_unreachable', `Could not reach AWS for ${action} (${msg}). Check the network and AWS_REGION, then try again.`, opts);
  }
  if (name === 'ServerException' || name === 'InternalFailure' || name === 'ServiceUnavailable') {
    return new UpstreamError('aws_server_error', `AWS failed ${action} on its side (${name}). Try again shortly.`, opts);
  }
  return new UpstreamError('aws_error', `AWS call ${action} failed: ${name ? `${name}: ` : ''}${msg}`, opts);
}
