// The memory service's own error codes, on top of base-server's error family.
import { BadRequestError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '@factory/base-server';

export const agentForbidden = (agentId: string) =>
  new ForbiddenError('agent_forbidden', `This API key may not access agent "${agentId}". Use an agent id your key is bound to (AGENT_SCOPES).`);

export const jobNotFound = (jobId: string) =>
  new NotFoundError(
    'job_not_found',
    `No compression job "${jobId}". Job ids come from compress_memory; finished jobs are kept only for a bounded number of newer jobs.`,
  );

export const queueUnavailable = (cause?: unknown) =>
  new ServiceUnavailableError(
    'queue_unavailable',
    'The compression queue (Redis) is unavailable, so no compression job could be queued. Stored turns are safe; retry compress_memory later.',
    { cause, headers: { 'Retry-After': '5' } },
  );

export const batchTooLarge = (max: number, got: number) =>
  new BadRequestError('batch_too_large', `A batch may hold at most ${max} turns; got ${got}. Split it into smaller batches.`);
