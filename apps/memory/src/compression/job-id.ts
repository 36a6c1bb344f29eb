// Job ids are derived from what a job compresses, so asking twice for the same compression collapses
// into one job. BullMQ forbids ":" in custom ids, hence a hash.
import { createHash } from 'node:crypto';
import { compositeKey, z } from '@factory/base-server';

export const compressionJobDataSchema = z.object({
  agentId: z.string().min(1).max(128),
  sessionId: z.string().min(1).max(128),
  throughTurnId: z.string().regex(/^\d{1,19}$/),
});

/** Ids only, never conversation text. */
export type CompressionJobData = z.infer<typeof compressionJobDataSchema>;

const hash = (parts: string[]) => createHash('sha256').update(compositeKey(...parts)).digest('hex').slice(0, 32);

export const compressionJobId = (d: CompressionJobData): string => `cmp-${hash([d.agentId, d.sessionId, d.throughTurnId])}`;

/** One pending compression per session: later requests collapse into the pending one. */
export const sessionDedupId = (agentId: string, sessionId: string): string => `session-${hash([agentId, sessionId])}`;
