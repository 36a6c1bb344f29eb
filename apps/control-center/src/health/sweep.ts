// One sweep's probe phase under a hard deadline: probes start as slots free up (see probeAll), each
// gets only the time left before the deadline, and when the deadline passes the sweep ends at once,
// counting the probes still unfinished as timed out.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { DeadlineExceeded, withDeadline, type Dispatcher } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import { probeService } from './service-probe.js';
import type { ServicePoll } from './types.js';

export interface SweepPlan {
  services: readonly ServiceEntry[];
  /** Probes actively waiting for an answer at once. */
  concurrency: number;
  /** Probes in flight at once, stalled ones included (each holds at most two sockets). */
  maxInFlight: number;
  /** A probe unanswered this long stops counting against `concurrency`. */
  stallMs: number;
  healthTimeoutMs: number;
  readyTimeoutMs: number;
  /** Hard bound of the whole probe phase. */
  deadlineMs: number;
  dispatcher: Dispatcher;
  /** Aborts the sweep: probeAll then rejects with its reason and returns no polls. */
  signal?: AbortSignal;
  /** How long each service took last time (slow ones start first). */
  lastElapsed: Map<string, number>;
  now: () => Date;
  /** Called as probes finish (the watchdog reports how many are still running). */
  onProgress?: (finished: number) => void;
}

export interface SweepOutcome {
  /** One poll per service, in registry order. */
  polls: ServicePoll[];
  /** Services whose probe was still running when the deadline passed. */
  cutOff: string[];
  /** The stall threshold for the next sweep, from this one's answer times. */
  stallMs: number;
}

function cutOffPoll(s: ServiceEntry, at: Date, deadlineMs: number): ServicePoll {
  return {
    service: s.name,
    checkedAt: at,
    live: false,
    ready: false,
    status: 'down',
    healthLatencyMs: null,
    readyLatencyMs: null,
    version: null,
    error: `not answered before the sweep's deadline of ${deadlineMs} ms`,
    checks: {},
  };
}

/**
 * Adaptive concurrency: at most `concurrency` probes are actively waiting for an answer, but a probe
 * still unanswered after `stallMs` stops counting against that limit (it is waiting out a timeout, not
 * using the CPU), so hanging services never hold back healthy ones. Services that were that slow last
 * time start first, each holding its slot only briefly, and so get (nearly) their full timeout. `maxInFlight` bounds the
 * sockets: at most two per probe.
 */
/** How long a probe of a service known to be slow holds its slot before it stops counting. */
const SLOW_STALL_MS = 5;

export async function probeAll(plan: SweepPlan): Promise<SweepOutcome> {
  const startedAt = plan.now();
  const t0 = performance.now();
  // Probes must be done a little before the hard deadline, so their own timeouts (which name what did
  // not answer) fire before the backstop that cuts off whatever is left.
  const probesEndBy = t0 + plan.deadlineMs - Math.min(100, Math.round(plan.deadlineMs * 0.02));
  const stallMs = plan.stallMs;
  const elapsed = (s: ServiceEntry) => plan.lastElapsed.get(s.name) ?? 0;
  // Longest first: the services that hung last time wait out their timeouts from the very start.
  const slow = plan.services.filter((s) => elapsed(s) >= stallMs).sort((a, b) => elapsed(b) - elapsed(a));
  const fast = plan.services.filter((s) => elapsed(s) < stallMs);
  const results = new Map<string, ServicePoll>();
  const answered: number[] = [];

  const run = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      // Every probe in flight listens on the sweep's signal (and lets go when it ends).
      setMaxListeners(0, signal);
      let active = 0;
      let inFlight = 0;
      let nextSlow = 0;
      let nextFast = 0;
      const total = plan.services.length;
      let settled = 0;
      const finish = () => {
        if (settled === total) resolve();
      };
      const start = (s: ServiceEntry, holdMs: number) => {
        inFlight++;
        active++;
        let holding = true;
        const release = () => {
          if (!holding) return;
          holding = false;
          active--;
          pump();
        };
        const stall = setTimeout(release, holdMs);
        const t = performance.now();
        const left = Math.floor(probesEndBy - t);
        const probe =
          left <= 0 || signal.aborted
            ? Promise.resolve(undefined)
            : probeService(s, { healthMs: Math.min(plan.healthTimeoutMs, left), readyMs: Math.min(plan.readyTimeoutMs, left) }, { dispatcher: plan.dispatcher, signal, now: plan.now });
        void probe.then((poll) => {
          clearTimeout(stall);
          const elapsed = performance.now() - t;
          plan.lastElapsed.set(s.name, elapsed);
          if (poll && !signal.aborted) {
            results.set(s.name, poll);
            if (poll.status !== 'down') answered.push(elapsed);
            plan.onProgress?.(results.size);
          }
          inFlight--;
          settled++;
          release();
          pump();
          finish();
        });
      };
      const pump = () => {
        // Slow ones first, still paced by the limit (each lets go of its slot after a short stall), so a
        // host that was merely overloaded last sweep does not get thousands of connections at once.
        while (nextSlow < slow.length && active < plan.concurrency && inFlight < plan.maxInFlight) start(slow[nextSlow++] as ServiceEntry, SLOW_STALL_MS);
        while (nextSlow >= slow.length && nextFast < fast.length && active < plan.concurrency && inFlight < plan.maxInFlight) start(fast[nextFast++] as ServiceEntry, stallMs);
      };
      pump();
      finish();
    });

  try {
    await withDeadline(plan.deadlineMs, run, { message: `the sweep did not finish within ${plan.deadlineMs} ms`, ...(plan.signal ? { signal: plan.signal } : {}) });
  } catch (err) {
    if (!(err instanceof DeadlineExceeded)) throw err;
  }
  const cutOff: string[] = [];
  const polls = plan.services.map((s) => {
    const p = results.get(s.name);
    if (p) return p;
    cutOff.push(s.name);
    // Unfinished now means slow next time: it starts first then.
    plan.lastElapsed.set(s.name, plan.deadlineMs);
    return cutOffPoll(s, startedAt, plan.deadlineMs);
  });
  return { polls, cutOff, stallMs: nextStallMs(answered, plan.healthTimeoutMs) };
}

/** Next sweep's stall threshold: 4x the 90th percentile of this sweep's answered probes, within [50 ms, /health timeout / 2]. */
export function nextStallMs(answeredMs: number[], healthTimeoutMs: number): number {
  const upper = Math.max(50, healthTimeoutMs / 2);
  if (answeredMs.length === 0) return Math.min(250, upper);
  const sorted = [...answeredMs].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(sorted.length * 0.9)] ?? sorted[sorted.length - 1] ?? 0;
  return Math.round(Math.min(upper, Math.max(50, p90 * 4)));
}
