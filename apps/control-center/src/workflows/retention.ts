// Retention: finished runs (and their steps, by cascade) older than WORKFLOW_RETENTION_DAYS are deleted
// in batches, so one sweep never holds a long lock or a long transaction.
import type { Kysely } from 'kysely';
import { drainInBatches, type Logger } from '@factory/base-server';
import type { Database } from '../db/schema.js';
import { deleteFinishedBefore } from './repository.js';

export async function sweepRetention(db: Kysely<Database>, opts: { cutoff: Date; batch: number; maxBatches?: number; logger: Logger }): Promise<number> {
  const { rows: total } = await drainInBatches(() => deleteFinishedBefore(db, opts.cutoff, opts.batch), { size: opts.batch, maxBatches: opts.maxBatches ?? 1_000 });
  if (total) opts.logger.info({ deleted: total, before: opts.cutoff.toISOString() }, 'finished workflow runs removed (retention)');
  return total;
}
