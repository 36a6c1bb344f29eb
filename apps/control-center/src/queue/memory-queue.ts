// Read-only view of the memory compression queue (BullMQ): job counts and the age of the oldest waiting job.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withDeadline } from '@factory/base-server';

export interface QueueView {
  configured: boolean;
  queue: string;
  checkedAt: string | null;
  waiting: number | null;
  active: number | null;
  delayed: number | null;
  failed: number | null;
  oldestWaitingAgeSeconds: number | null;
  error: string | null;
}

export class MemoryQueueMonitor {
  private readonly queue: Queue | undefined;
  private view: QueueView;

  constructor(
    private readonly name: string,
    prefix: string,
    connection: Redis | undefined,
    private readonly timeoutMs = 2_000,
  ) {
    this.queue = connection ? new Queue(name, { connection, prefix }) : undefined;
    this.view = { configured: !!connection, queue: name, checkedAt: null, waiting: null, active: null, delayed: null, failed: null, oldestWaitingAgeSeconds: null, error: connection ? 'not checked yet' : 'REDIS_URL is not set' };
  }

  /** The last measurement (never touches Redis). */
  get latest(): QueueView {
    return this.view;
  }

  /** Bounded by `timeoutMs`: a hanging Redis makes the view an error, never a wait. */
  async refresh(now: Date = new Date()): Promise<QueueView> {
    const queue = this.queue;
    if (!queue) return this.view;
    try {
      const [counts, oldest] = await withDeadline(
        this.timeoutMs,
        async () => {
          const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
          // Waiting jobs are pushed on the left: the oldest is the last one, read ascending from the end.
          const [o] = await queue.getJobs(['waiting'], 0, 0, true);
          return [c, o] as const;
        },
        { message: `Redis did not answer within ${this.timeoutMs} ms` },
      );
      this.view = {
        configured: true,
        queue: this.name,
        checkedAt: now.toISOString(),
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        oldestWaitingAgeSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.timestamp) / 1000)) : null,
        error: null,
      };
    } catch (err) {
      this.view = { ...this.view, checkedAt: now.toISOString(), error: `queue unreachable: ${err instanceof Error ? err.message.slice(0, 200) : 'error'}` };
    }
    return this.view;
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}
