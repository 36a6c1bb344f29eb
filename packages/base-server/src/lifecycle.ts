// One shutdown registry: named, idempotent closers run in order under a hard timeout.
import type { Logger } from './logger.js';

export interface Closer {
  name: string;
  close: () => Promise<void> | void;
}

export class ShutdownRegistry {
  private readonly closers: Closer[] = [];
  private running: Promise<boolean> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Closers run in the order they were added; add the things that feed others (HTTP) first. */
  add(closer: Closer): void {
    this.closers.push(closer);
  }

  /** Runs every closer once; resolves true when all finished within `timeoutMs`, false otherwise. */
  run(timeoutMs: number): Promise<boolean> {
    this.running ??= this.runAll(timeoutMs);
    return this.running;
  }

  private async runAll(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const sequence = (async () => {
      for (const c of this.closers) {
        const started = Date.now();
        try {
          await c.close();
          this.logger.info({ closer: c.name, ms: Date.now() - started }, 'closed');
        } catch (err) {
          this.logger.error({ closer: c.name, err }, 'closer failed');
        }
      }
      return true as const;
    })();
    const finished = await Promise.race([sequence, deadline]);
    clearTimeout(timer);
    if (!finished) this.logger.error({ timeoutMs }, 'shutdown did not finish in time');
    return finished;
  }
}
