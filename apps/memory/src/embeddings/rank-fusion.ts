// Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): a document's score is the sum over
// the ranked lists it appears in of 1 / (k + rank), rank counted from 1; k = 60 as in the paper. Only
// ranks matter, so full-text ranks (ts_rank_cd) and cosine distances need no common scale.

export const RRF_K = 60;

export interface FusedId {
  id: string;
  score: number;
  /** 1-based rank in each list it appears in (undefined: not in that list). */
  ranks: Array<number | undefined>;
}

/** Fuses ranked id lists (best first), best fused score first; a tie goes to the newer turn (larger id). */
export function fuseRanks(lists: ReadonlyArray<readonly string[]>, k = RRF_K): FusedId[] {
  const byId = new Map<string, FusedId>();
  lists.forEach((list, which) => {
    list.forEach((id, i) => {
      let entry = byId.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: new Array<number | undefined>(lists.length).fill(undefined) };
        byId.set(id, entry);
      }
      if (entry.ranks[which] !== undefined) return; // a list names an id once; ignore repeats
      entry.ranks[which] = i + 1;
      entry.score += 1 / (k + i + 1);
    });
  });
  return [...byId.values()].sort((a, b) => b.score - a.score || (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0));
}
