// Answers the harness's memory probe: the resident set and the live heap right after a full GC (the
// harness starts servers with --expose-gc), so a figure shows memory that is kept, not garbage that a
// lazy collector has yet to return.
export function answerMemoryProbe() {
  process.on('message', (m) => {
    if (m !== 'memory') return;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ rss, heapUsed });
  });
}
