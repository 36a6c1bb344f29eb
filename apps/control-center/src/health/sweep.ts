// One sweep's probe phase under a hard deadline: every probe starts as soon as a slot is free (slots
// bound the sockets in flight), each gets only the time left before the deadline, and when the
// deadline passes the sweep ends at once, counting the probes still unfinished as timed out.
import { performance } from 'node:perf_hooks';
import { DeadlineExceeded, withDeadline, type Dispatcher } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import { mapWithConcurrency, probeService } from './service-probe.js';
import type { ServicePoll } from './types.js';

export interface SweepPlan {
  services: readonly ServiceEntry[];
  /** Services probed at once (each holds at most two sockets: /health and /ready). */
  concurrency: number;
  healthTimeoutMs: number;
  readyTimeoutMs: number;
  /** Hard bound of the whole probe phase. */
  deadlineMs: number;
  dispatcher: Dispatcher;
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

export async function probeAll(plan: SweepPlan): Promise<SweepOutcome> {
  const startedAt = plan.now();
  const t0 = performance.now();
  const deadlineAt = t0 + plan.deadlineMs;
  // Longest first: services that were slow (or hung) last sweep start at once and wait out their
  // timeouts in parallel while the fast ones share the remaining slots.
  const ordered = [...plan.services].sort((a, b) => (plan.lastElapsed.get(b.name) ?? 0) - (plan.lastElapsed.get(a.name) ?? 0));
  const results = new Map<string, ServicePoll>();
  try {
    await withDeadline(
      plan.deadlineMs,
      (signal) =>
        mapWithConcurrency(ordered, plan.concurrency, async (s) => {
          const t = performance.now();
          const left = Math.floor(deadlineAt - t);
          if (left <= 0 || signal.aborted) return;
          const poll = await probeService(
            s,
            { healthMs: Math.min(plan.healthTimeoutMs, left), readyMs: Math.min(plan.readyTimeoutMs, left) },
            { dispatcher: plan.dispatcher, signal, now: plan.now },
          );
          plan.lastElapsed.set(s.name, performance.now() - t);
          if (signal.aborted) return;
          results.set(s.name, poll);
          plan.onProgress?.(results.size);
        }),
      { message: `the sweep did not finish within ${plan.deadlineMs} ms` },
    );
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
  return { polls, cutOff };
}
