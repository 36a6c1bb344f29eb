// The embedded database (PGlite, when DATABASE_URL is unset) ships pgvector as a loadable extension:
// it is loaded only when semantic recall is configured, so a plain start stays as light as before.
import type { MemoryConfig } from '../config.js';

export async function pgliteVectorExtension(config: Pick<MemoryConfig, 'EMBEDDINGS_BASE_URL'>): Promise<Record<string, unknown>> {
  if (!config.EMBEDDINGS_BASE_URL) return {};
  const { vector } = await import('@electric-sql/pglite/vector');
  return { vector };
}
