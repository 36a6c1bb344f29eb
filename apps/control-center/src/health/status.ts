// How one poll is classified. `not_configured` is neutral: the service runs but lacks a setting a
// required dependency needs (its check says which); it is grey, opens no incident and counts against no
// uptime or availability. Real failures (down, not ready because something errs) stay red.
import type { DependencyResult, ServiceStatus } from './types.js';

export function serviceStatus(live: boolean, ready: boolean, checks: Readonly<Record<string, DependencyResult>>): ServiceStatus {
  if (!live) return 'down';
  const deps = Object.values(checks);
  if (!ready) return deps.some((c) => c.required && c.status === 'not_configured') ? 'not_configured' : 'not_ready';
  // An optional dependency that is not configured is a choice, not a degradation.
  return deps.some((c) => c.status !== 'ok' && c.status !== 'not_configured') ? 'degraded' : 'up';
}

/** The check messages that say which setting enables a required dependency that is not configured. */
export function setupHints(checks: Readonly<Record<string, DependencyResult>>): string[] {
  return Object.entries(checks)
    .filter(([, c]) => c.required && c.status === 'not_configured')
    .map(([name, c]) => `${name}: ${c.message ?? 'not configured'}`);
}

/** Statuses that are neither up nor a failure. */
export const isNeutral = (status: ServiceStatus | 'unknown'): boolean => status === 'not_configured' || status === 'unknown';
