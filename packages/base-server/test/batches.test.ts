import { describe, expect, it } from '@jest/globals';
import { drainInBatches } from '../src/index.js';

/** A batch over `total` rows that hands out up to `size` of them per call. */
const rowsLeft = (total: number, size: number) => {
  let left = total;
  return async () => {
    const n = Math.min(size, left);
    left -= n;
    return n;
  };
};

describe('drainInBatches', () => {
  it('runs batches until one comes back short', async () => {
    expect(await drainInBatches(rowsLeft(23, 5), { size: 5 })).toEqual({ rows: 23, batches: 5, complete: true });
    // An exact multiple needs one more (empty) batch to know that nothing is left.
    expect(await drainInBatches(rowsLeft(10, 5), { size: 5 })).toEqual({ rows: 10, batches: 3, complete: true });
    expect(await drainInBatches(rowsLeft(0, 5), { size: 5 })).toEqual({ rows: 0, batches: 1, complete: true });
  });

  it('stops after maxBatches and says it did not finish', async () => {
    expect(await drainInBatches(rowsLeft(100, 5), { size: 5, maxBatches: 3 })).toEqual({ rows: 15, batches: 3, complete: false });
    expect(await drainInBatches(rowsLeft(100, 5), { size: 5, maxBatches: 0 })).toEqual({ rows: 0, batches: 0, complete: false });
  });

  it('stops between batches once its signal is aborted', async () => {
    const ac = new AbortController();
    const next = rowsLeft(100, 5);
    let calls = 0;
    const result = await drainInBatches(
      async () => {
        calls += 1;
        if (calls === 2) ac.abort();
        return next();
      },
      { size: 5, signal: ac.signal },
    );
    expect(result).toEqual({ rows: 10, batches: 2, complete: false });
  });
});
