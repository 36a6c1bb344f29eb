// Maps AWS SDK failures to AppErrors whose messages tell the calling model (or operator) what to fix.
import { AppError, BadRequestError, ForbiddenError, NotFoundError, RateLimitError, ServiceUnavailableError, UpstreamError } from '@factory/base-server';

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException', 'NotAuthorized']);
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
const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceNotFoundException']);
const INVALID = new Set([
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterCombinationException',
  'InvalidParameterException',
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
]);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'LimitExceeded', 'LimitExceededException', 'RequestLimitExceeded', 'TooManyRequestsException', 'ServiceQuotaExceededException']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

function firstLine(text: string | undefined, fallback: string): string {
  const line = (text ?? '').split('\n', 1)[0]?.trim() ?? '';
  if (!line) return fallback;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Converts anything an AWS call threw into an AppError naming the operation. */
export function toAwsError(operation: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as AwsLikeError;
  const name = e.name ?? '';
  const detail = firstLine(e.message, name || 'unknown error');
  const status = e.$metadata?.httpStatusCode;
  if (name === 'AbortError') {
    return new AppError('aws_call_aborted', `${operation} was cancelled before AWS answered.`, { status: 499, type: 'api_error', cause: err });
  }
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new ForbiddenError('aws_access_denied', `AWS denied ${operation}: ${detail}. Grant this service's IAM role permission for ${operation}.`, { cause: err });
  }
  if (CREDENTIALS.has(name)) {
    return new ServiceUnavailableError('aws_credentials_invalid', `AWS rejected this service's credentials during ${operation}: ${detail}. Check the task role or AWS_* credential settings.`, { cause: err });
  }
  if (NOT_FOUND.has(name)) {
    return new NotFoundError('aws_resource_not_found', `${operation}: ${detail}. Check the name (list it first with the matching describe/list tool).`, { cause: err });
  }
  if (INVALID.has(name) || (e.$fault === 'client' && status === 400 && !THROTTLED.has(name))) {
    return new BadRequestError('aws_invalid_request', `AWS rejected the ${operation} arguments: ${detail}`, { cause: err });
  }
  if (THROTTLED.has(name) || status === 429) {
    return new RateLimitError(`AWS throttled ${operation}: ${detail}. Wait a few seconds and retry with a narrower request.`, 5, { cause: err });
  }
  if (TIMEOUT.has(name) || (e.code !== undefined && NETWORK_CODES.has(e.code))) {
    return new UpstreamError('aws_unreachable', `AWS did not answer ${operation} in time (${detail}). Retry later; if it persists check network access to AWS.`, { cause: err });
  }
  return new UpstreamError('aws_error', `AWS ${operation} failed: ${detail}`, { cause: err });
}

/** Runs one AWS call and maps its failure. */
export async function awsCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAwsError(operation, err);
  }
}
