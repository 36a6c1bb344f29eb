// A shields-style status badge.
import { escapeXml } from '../dashboard/html.js';

const COLORS: Record<string, string> = { up: '#2e7d32', degraded: '#b7791f', not_ready: '#c62828', down: '#c62828', unknown: '#6b7280' };
const LABELS: Record<string, string> = { up: 'up', degraded: 'degraded', not_ready: 'not ready', down: 'down', unknown: 'unknown' };

// Approximate Verdana 11px advance widths: good enough for a badge.
const textWidth = (s: string) => Math.round(s.length * 6.5 + 10);

export function badgeSvg(name: string, status: string, uptime30d: number | null): string {
  const right = `${LABELS[status] ?? status}${uptime30d === null ? '' : ` · ${(uptime30d * 100).toFixed(2)}%`}`;
  const lw = textWidth(name);
  const rw = textWidth(right);
  const color = COLORS[status] ?? COLORS.unknown;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + rw}" height="20" role="img" aria-label="${escapeXml(`${name}: ${right}`)}"><title>${escapeXml(`${name}: ${right}`)}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${rw}" height="20" fill="${color}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="${lw / 2}" y="14">${escapeXml(name)}</text><text x="${lw + rw / 2}" y="14">${escapeXml(right)}</text></g></svg>`;
}
