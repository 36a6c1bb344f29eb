// Time windows for tools: ISO 8601 timestamps or durations ago ("15m", "3h", "2d", "1w").
import { BadRequestError, z } from '@factory/base-server';

const RELATIVE = /^(\d{1,6})\s*(s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const timeArg = (what: string, fallback: string) =>
  z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe(`${what}: an ISO 8601 time (2025-01-31T12:00:00Z) or a duration ago such as 15m, 3h, 2d, 1w. Default ${fallback}.`);

/** Resolves an ISO time or a duration ago to a Date; throws BadRequestError naming the field. */
export function parseTime(value: string, field: string, now: number = Date.now()): Date {
  const rel = RELATIVE.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * (UNIT_MS[rel[2]!.toLowerCase()] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new BadRequestError('invalid_time', `${field} "${value}" is not a time: use ISO 8601 (2025-01-31T12:00:00Z) or a duration ago like 15m, 3h, 2d.`);
}

/** A [start, end) window from optional arguments, validated and bounded. */
export function timeWindow(start: string | undefined, end: string | undefined, defaultStart: string, maxMs: number, now: number = Date.now()): { start: Date; end: Date } {
  const s = parseTime(start ?? defaultStart, 'start', now);
  const e = end ? parseTime(end, 'end', now) : new Date(now);
  if (s.getTime() >= e.getTime()) throw new BadRequestError('invalid_time_window', `start (${s.toISOString()}) must be before end (${e.toISOString()}).`);
  if (e.getTime() - s.getTime() > maxMs) {
    throw new BadRequestError('time_window_too_large', `The window from ${s.toISOString()} to ${e.toISOString()} is longer than the allowed ${Math.round(maxMs / 86_400_000)} days; narrow it.`);
  }
  return { start: s, end: e };
}

export const isoOrNull = (d: Date | undefined): string | null => (d ? d.toISOString() : null);
