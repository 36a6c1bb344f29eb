// The embedded database (PGlite, when DATABASE_URL is unset) loads the extensions memory needs:
// btree_gin always (the (agent_id, search) GIN index), and pgvector only when semantic recall is
// configured, so a plain start stays as light as it can.
import type { MemoryConfig } from '../config.js';

export async function pgliteExtensions(config: Pick<MemoryConfig, 'EMBEDDINGS_BASE_URL'>): Promise<Record<string, unknown>> {
  const { btree_gin } = await import('@electric-sql/pglite/contrib/btree_gin');
  if (!config.EMBEDDINGS_BASE_URL) return { btree_gin };
  const { vector } = await import('@electric-sql/pglite/vector');
  return { btree_gin, vector };
}
