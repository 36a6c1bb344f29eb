// The alarm guard: refuse a write while a guard alarm is firing (fail closed when observability-mcp
// cannot answer), then watch the alarms for a window after acting so the caller can roll back.
import { setTimeout as sleep } from 'node:timers/promises';
import { BadRequestError, ConflictError, ServiceUnavailableError, z } from '@factory/base-server';
import { ObservabilityUnavailable, type AlarmQuery, type AlarmSource, type CheckAlarmsResult } from './observability-client.js';

export const guardAlarmsSchema = z
  .object({
    names: z.array(z.string().min(1).max(255)).min(1).max(100).optional().describe('CloudWatch alarm names to guard on'),
    prefix: z.string().min(1).max(255).optional().describe('guard on every alarm whose name starts with this'),
  })
  .refine((g) => g.names !== undefined || g.prefix !== undefined, { message: 'give names, a prefix, or both' })
  .describe(
    'Alarms that must not be in ALARM: checked before acting (refused if any fires or observability-mcp cannot be asked), then watched after acting; if one fires, the change is rolled back automatically.',
  );
export type GuardAlarms = z.infer<typeof guardAlarmsSchema>;

export const guardReportSchema = z.object({
  alarms_checked: z.number(),
  watch: z
    .enum(['not_run', 'clear', 'fired', 'incomplete', 'aborted'])
    .describe('clear: no guard alarm fired during the window; fired: one did (see rolled_back); incomplete: observability-mcp could not always be asked'),
  watch_ms: z.number(),
  fired: z.array(z.object({ name: z.string(), reason: z.string() })),
  unanswered_checks: z.number(),
});
export type GuardReport = z.infer<typeof guardReportSchema>;

export interface WatchOutcome {
  outcome: 'clear' | 'fired' | 'incomplete' | 'aborted';
  fired: { name: string; reason: string }[];
  unanswered: number;
}

const describeQuery = (q: AlarmQuery) =>
  [q.names?.length ? `names ${q.names.join(', ')}` : '', q.prefix ? `prefix "${q.prefix}"` : ''].filter(Boolean).join(' and ');

export class AlarmGuard {
  constructor(
    private readonly source: AlarmSource | undefined,
    private readonly settings: { watchMs: number; pollMs: number },
  ) {}

  get watchMs(): number {
    return this.settings.watchMs;
  }

  /** Asks observability-mcp once; throws an AppError that refuses the write unless every guard alarm is fine. */
  async precheck(query: GuardAlarms, signal?: AbortSignal): Promise<CheckAlarmsResult> {
    if (!this.source) {
      throw new ServiceUnavailableError(
        'alarm_guard_not_configured',
        'Refusing to act: guard alarms were given but OBSERVABILITY_MCP_URL is not configured, so deploy-mcp cannot check them. Ask an operator to configure it.',
        { retryable: false },
      );
    }
    let result: CheckAlarmsResult;
    try {
      result = await this.source.checkAlarms(query, signal);
    } catch (err) {
      const why = err instanceof ObservabilityUnavailable ? err.message : String(err);
      throw new ServiceUnavailableError(
        'alarm_guard_unavailable',
        `Refusing to act: could not ask observability-mcp (${this.source.url}) about the guard alarms (${why}). The alarm guard fails closed; retry when observability-mcp is reachable.`,
        { cause: err },
      );
    }
    if (result.missing.length > 0) {
      throw new BadRequestError(
        'guard_alarm_not_found',
        `Refusing to act: guard alarm(s) not found: ${result.missing.join(', ')}. A guard that does not exist cannot protect the change; fix the names.`,
      );
    }
    if (result.checked === 0) {
      throw new BadRequestError('guard_matched_nothing', `Refusing to act: no alarm matches ${describeQuery(query)}. Fix the guard so it names existing alarms.`);
    }
    const firing = result.alarms.filter((a) => a.state === 'ALARM');
    if (result.any_in_alarm || firing.length > 0) {
      throw new ConflictError(
        'guard_alarm_firing',
        `Refusing to act: guard alarm(s) in ALARM: ${firing.map((a) => `${a.name} (${a.reason})`).join('; ') || 'reported by observability-mcp'}. Wait until they are OK, then try again.`,
      );
    }
    return result;
  }

  /**
   * Polls the guard alarms for the watch window. Returns early with `fired` as soon as one is in ALARM.
   * A failed poll does not end the watch (the change may well be fine) but makes the outcome `incomplete`.
   * `windowMs` (default: the whole watch) is what is left of it, for a watch resumed by another replica.
   */
  async watch(query: GuardAlarms, onTick: (elapsedMs: number, totalMs: number) => Promise<void>, signal?: AbortSignal, windowMs?: number): Promise<WatchOutcome> {
    const { pollMs } = this.settings;
    const watchMs = Math.min(windowMs ?? this.settings.watchMs, this.settings.watchMs);
    let unanswered = 0;
    const started = Date.now();
    if (!this.source || this.settings.watchMs === 0) return { outcome: 'clear', fired: [], unanswered };
    for (;;) {
      const remaining = watchMs - (Date.now() - started);
      if (remaining <= 0) break;
      try {
        await sleep(Math.min(pollMs, remaining), undefined, signal ? { signal } : undefined);
      } catch {
        return { outcome: 'aborted', fired: [], unanswered };
      }
      try {
        const result = await this.source.checkAlarms(query, signal);
        const fired = result.alarms.filter((a) => a.state === 'ALARM').map((a) => ({ name: a.name, reason: a.reason }));
        if (result.any_in_alarm || fired.length > 0) return { outcome: 'fired', fired, unanswered };
      } catch {
        if (signal?.aborted) return { outcome: 'aborted', fired: [], unanswered };
        unanswered += 1;
      }
      await onTick(Math.min(Date.now() - started, watchMs), watchMs).catch(() => undefined);
    }
    return { outcome: unanswered > 0 ? 'incomplete' : 'clear', fired: [], unanswered };
  }
}
