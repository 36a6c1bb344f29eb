// Group commit: writes that arrive while others are in flight are stored together, with one statement
// and one transaction, instead of one round trip (and one WAL flush) each. A lone write goes at once;
// under load, each statement carries everything that queued behind the one in flight. A further
// statement overlaps it only once it has run for `overlapAfterMs`: a slow statement (a lock wait, a
// large batch) does not stall the queue, while fast ones leave the writes to gather into large batches.

export interface GroupCommitOptions<I> {
  /** Statements in flight at once at most (each holds one pool connection). */
  maxInFlight: number;
  /** Another statement starts while some are in flight only once the newest has run this long (0: at once). */
  overlapAfterMs?: number;
  /** Upper bound on a statement's size, in `weight` units (rows). */
  maxWeight: number;
  weight: (item: I) => number;
  /**
   * Whether a failed statement certainly changed nothing, so its writes can be retried one by one (a
   * constraint or data error from the server). A lost connection is not: the statement may have committed.
   */
  isolatable: (err: unknown) => boolean;
}

interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Returns `submit(item)`, which resolves with `run`'s result for that item once it is committed.
 * `run` receives items in submission order and returns one result per item, in the same order.
 */
export function createGroupCommit<I, O>(run: (items: I[]) => Promise<O[]>, options: GroupCommitOptions<I>): (item: I) => Promise<O> {
  const { maxInFlight, maxWeight, weight, isolatable, overlapAfterMs = 0 } = options;
  let queue: Array<Pending<I, O>> = [];
  let inFlight = 0;
  let scheduled = false;
  let newestStart = 0;
  let overlapTimer: NodeJS.Timeout | undefined;

  async function execute(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const out = await run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(out[i] as O));
    } catch (err) {
      if (batch.length === 1 || !isolatable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One bad write must not fail the others: nothing was stored, so each is retried on its own.
      await Promise.all(
        batch.map((p) =>
          run([p.item]).then(
            ([o]) => p.resolve(o as O),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      if (inFlight > 0 && overlapAfterMs > 0) {
        const wait = newestStart + overlapAfterMs - performance.now();
        if (wait > 0) {
          // Gather behind the statement in flight; overlap it if it is still running by then.
          overlapTimer ??= setTimeout(() => {
            overlapTimer = undefined;
            pump();
          }, Math.ceil(wait));
          return;
        }
      }
      let taken = 0;
      let w = 0;
      while (taken < queue.length && (taken === 0 || w + weight(queue[taken]!.item) <= maxWeight)) {
        w += weight(queue[taken]!.item);
        taken++;
      }
      const batch = queue.slice(0, taken);
      queue = queue.slice(taken);
      inFlight++;
      newestStart = performance.now();
      void execute(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Requests read in the same turn of the event loop join one statement.
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
