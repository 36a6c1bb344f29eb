// The cache epoch of a session: what makes the read cache correct across replicas, whatever Redis does.
//
// `sessions.cache_epoch` holds the id of the transaction that last changed anything a cached read of the
// session returns (its turns, its summary, its counters). Every such write sets it in the same
// transaction (the store statement, saveSummary; forget deletes the row), and a transaction id is never
// used twice, so an epoch names exactly one committed state of the session: once the row has moved on,
// its earlier epochs never come back — not after a forget and re-creation, not on another replica.
//
// A cached read takes the epoch from Postgres (one primary-key lookup, run beside the Redis lookup) and
// serves an entry only when it was computed under that very epoch. An entry was computed after its
// epoch was read, so it holds every write committed before then; if the epoch is still current, nothing
// has been committed since. So after a write is acknowledged, no replica serves an answer from before it
// — even when the replica that wrote it could not reach Redis. A session with no row (never written, or
// forgotten) has no epoch and is never cached. Invalidation in Redis only frees memory early.
import type { Database, PreparedStatement } from '@factory/base-server';
import type { MemoryDatabase } from '../db/schema.js';

/** The SQL expression of a fresh epoch: the current transaction's id (64 bits, never reused). */
export const NEW_CACHE_EPOCH = 'pg_current_xact_id()::text::bigint';

/** Reads a session's epoch for the cache (undefined: the session has no row, so nothing is cached). */
export type CacheEpochs = (agentId: string, sessionId: string) => Promise<string | undefined>;

/** Runs before every cached read: prepared once per connection. */
const READ_CACHE_EPOCH: PreparedStatement = {
  name: 'memory_read_cache_epoch_v1',
  text: 'select cache_epoch::text as epoch from sessions where agent_id = $1 and session_id = $2',
};

export function cacheEpochs(database: Pick<Database<MemoryDatabase>, 'prepared'>): CacheEpochs {
  return async (agentId, sessionId) => {
    const [row] = await database.prepared<{ epoch: string }>(READ_CACHE_EPOCH, [agentId, sessionId]);
    return row?.epoch;
  };
}
