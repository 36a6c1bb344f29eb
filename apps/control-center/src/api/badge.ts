// A shields-style status badge, drawn by badge-maker (the shields.io renderer: it measures the text
// with real Verdana widths and escapes what it is given).
import { makeBadge } from 'badge-maker';
import { pct, STATUS_LABEL } from '../dashboard/format.js';

const COLORS: Record<string, string> = { up: '#2e7d32', degraded: '#b7791f', not_ready: '#c62828', down: '#c62828', not_configured: '#6b7280', maintenance: '#4b6584', unknown: '#6b7280' };

export function badgeSvg(name: string, status: string, uptime30d: number | null): string {
  const word = (STATUS_LABEL[status] ?? status).toLowerCase();
  return makeBadge({ label: name, message: uptime30d === null ? word : `${word} · ${pct(uptime30d)}`, color: COLORS[status] ?? '#6b7280', style: 'flat' });
}
