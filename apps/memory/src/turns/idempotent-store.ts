// Writes with a client-supplied idempotency key: the key is claimed in the same transaction as the turns,
// so a retry of a committed write (the client saw a timeout) returns the first answer and stores nothing,
// and a write that failed left no key behind and can simply be retried. Two concurrent requests with one
// key serialise on the key's row: the second waits for the first to commit, then answers like a retry.
import { createHash } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { ConflictError, compositeKey, type Principal } from '@factory/base-server';
import * as repo from './turn-repository.js';

/** How long a key is remembered: a retry after that stores the turns again. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

const hashOf = (sessionId: string, turns: readonly repo.NewTurn[]) =>
  createHash('sha256')
    .update(JSON.stringify([sessionId, turns.map((t) => [t.role, t.content, t.metadata ?? null])]))
    .digest('hex');

export interface IdempotentWrite {
  principal: Principal | undefined;
  agentId: string;
  sessionId: string;
  turns: readonly repo.NewTurn[];
  key: string;
}

/** Stores the turns once per key; `replayed` tells whether this is the answer of an earlier request. */
export async function storeOnce(db: repo.Db, write: IdempotentWrite): Promise<{ stored: repo.StoredTurns; replayed: boolean }> {
  const scope = compositeKey(write.principal?.keyName ?? '', write.agentId);
  const requestHash = hashOf(write.sessionId, write.turns);
  return db.transaction().execute(async (trx) => {
    // An expired key is forgotten first, and a few other expired keys with it (bounded work per write).
    await sql`delete from idempotency_keys where ctid = any(array(
        select ctid from idempotency_keys where created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS}) limit 100))`.execute(trx);
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({ scope, idempotency_key: write.key, request_hash: requestHash, response: '{}' })
      .onConflict((oc) => oc.doNothing())
      .returning('scope')
      .execute();
    if (claimed.length === 0) {
      const first = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'response'])
        .where('scope', '=', scope)
        .where('idempotency_key', '=', write.key)
        .executeTakeFirstOrThrow();
      if (first.request_hash !== requestHash) {
        throw new ConflictError(
          'idempotency_key_reused',
          `Idempotency key "${write.key}" was already used for a different write in the last ${IDEMPOTENCY_KEY_TTL_HOURS} hours. Use a new key for a new write; reuse a key only to retry the very same write.`,
        );
      }
      return { stored: first.response, replayed: true };
    }
    const prepared: repo.Prepared = {
      prepared: async <R>(statement: { text: string }, values: readonly unknown[]) =>
        (await trx.executeQuery<R>(CompiledQuery.raw(statement.text, [...values]))).rows,
    };
    const [stored] = await repo.storeTurnWrites(prepared, [{ agentId: write.agentId, sessionId: write.sessionId, turns: write.turns }]);
    if (!stored) throw new Error('storing turns returned no result');
    await trx
      .updateTable('idempotency_keys')
      .set({ response: JSON.stringify(stored) })
      .where('scope', '=', scope)
      .where('idempotency_key', '=', write.key)
      .execute();
    return { stored, replayed: false };
  });
}
