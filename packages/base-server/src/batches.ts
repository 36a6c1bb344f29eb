// Large deletions (retention sweeps) as a loop of bounded batches, each meant to be one short
// transaction, so no sweep holds a long lock or a long transaction however much has expired.

export interface DrainOptions {
  /** Rows one batch handles at most: a batch that reports fewer means nothing is left. */
  size: number;
  /** The most batches this call runs (default 1,000); the next sweep goes on from there. */
  maxBatches?: number;
  /** Stops between batches (a shutdown). */
  signal?: AbortSignal;
}

export interface DrainResult {
  /** The sum of what the batches reported. */
  rows: number;
  batches: number;
  /** False when it stopped before a batch came back short (maxBatches reached or signal aborted). */
  complete: boolean;
}

/** Runs `batch` (which returns how many rows it found) until one comes back short, or it must stop. */
export async function drainInBatches(batch: () => Promise<number>, options: DrainOptions): Promise<DrainResult> {
  const max = options.maxBatches ?? 1_000;
  let rows = 0;
  let batches = 0;
  while (batches < max && options.signal?.aborted !== true) {
    const n = await batch();
    batches += 1;
    rows += n;
    if (n < options.size) return { rows, batches, complete: true };
  }
  return { rows, batches, complete: false };
}
