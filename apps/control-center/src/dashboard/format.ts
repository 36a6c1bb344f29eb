// How numbers, times and statuses read on every page: one formatter each, so a percentage or a
// duration looks the same wherever it appears (pages and badges).

/** Status words as people read them. */
export const STATUS_LABEL: Record<string, string> = {
  up: 'Up',
  degraded: 'Degraded',
  not_ready: 'Not ready',
  not_configured: 'Not configured',
  down: 'Down',
  unknown: 'Unknown',
  maintenance: 'Maintenance',
  ok: 'ok',
  warning: 'warning',
  error: 'error',
};

/**
 * A ratio as a percentage with two decimals, rounded down so that anything short of 1 never reads
 * "100.00%"; '–' when nothing was measured.
 */
export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(Math.floor(v * 10_000 + 1e-9) / 100).toFixed(2)}%`);

export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v} ms`);
export const time = (iso: string | null): string => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '–');
export const count = (n: number): string => n.toLocaleString('en-US');
