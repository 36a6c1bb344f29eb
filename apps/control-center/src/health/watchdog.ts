// The sweep watchdog: how long ago the last sweep completed and which step the current one is in. It
// only reads clocks and fields, so /ready and /metrics can always answer it, whatever a sweep waits on.
import { performance } from 'node:perf_hooks';
import type { CheckOutcome } from '@factory/base-server';

export type SweepStep = 'probing services' | 'applying results';

export interface WatchdogOptions {
  intervalMs: number;
  jitter: number;
  deadlineMs: number;
}

export class SweepWatchdog {
  private createdAt: number;
  private lastCompleted: number | undefined;
  private current: { step: SweepStep; since: number; startedAt: number; detail: string } | undefined;

  /** `clock` is milliseconds on a monotonic clock (tests pass their own). */
  constructor(
    private readonly o: WatchdogOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.createdAt = clock();
  }

  /** The longest time two completed sweeps may be apart when nothing is wrong. */
  get expectedGapMs(): number {
    return Math.round(Math.max(this.o.intervalMs * (1 + this.o.jitter), this.o.deadlineMs) + this.o.deadlineMs);
  }

  /** The schedule (re)starts: age counts from now until the first sweep completes. */
  restart(): void {
    this.createdAt = this.clock();
    this.lastCompleted = undefined;
    this.current = undefined;
  }

  begin(): void {
    const now = this.clock();
    this.current = { step: 'probing services', since: now, startedAt: now, detail: '' };
  }

  step(step: SweepStep, detail = ''): void {
    if (this.current) Object.assign(this.current, { step, since: this.clock(), detail });
  }

  /** Extra words about the current step (how many probes are still running). */
  detail(detail: string): void {
    if (this.current) this.current.detail = detail;
  }

  complete(): void {
    this.lastCompleted = this.clock();
    this.current = undefined;
  }

  /** Another replica completed a sweep (shared polling): the fleet's sweeps are on time, whoever ran them. */
  completedElsewhere(): void {
    this.lastCompleted = this.clock();
  }

  /** Seconds since the last completed sweep (since start-up before the first one). */
  ageSeconds(): number {
    return (this.clock() - (this.lastCompleted ?? this.createdAt)) / 1000;
  }

  /** ok while sweeps keep up; warning after one missed interval, error after three, naming the stuck step. */
  check(): CheckOutcome {
    const ageMs = this.ageSeconds() * 1000;
    const gap = this.expectedGapMs;
    const missed = Math.floor((ageMs - gap) / Math.max(this.o.intervalMs, this.o.deadlineMs)) + 1;
    if (ageMs <= gap) return {};
    const c = this.current;
    const where = c
      ? `the sweep started ${Math.round((this.clock() - c.startedAt) / 1000)} s ago is stuck in "${c.step}"${c.detail ? ` (${c.detail})` : ''} for ${Math.round((this.clock() - c.since) / 1000)} s`
      : 'no sweep is running: the schedule itself is stuck';
    const since = this.lastCompleted === undefined ? 'since start-up' : `for ${Math.round(ageMs / 1000)} s`;
    return {
      status: missed >= 3 ? 'error' : 'warning',
      message: `no sweep has completed ${since} (${missed} missed interval${missed === 1 ? '' : 's'}); ${where}`,
      details: { last_sweep_age_seconds: Math.round(ageMs / 1000), stuck_step: c?.step ?? 'schedule', missed_intervals: missed },
    };
  }
}
