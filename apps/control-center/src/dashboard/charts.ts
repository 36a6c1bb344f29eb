// Inline SVG charts: daily uptime bars (one rect per day, hover for the day's figures), the card's
// response-time sparkline, and the service page's response-time chart with axes.
import { html, type SafeHtml } from './html.js';
import { ms, pct } from './format.js';

export interface DayBar {
  day: string;
  uptime: number | null;
  checks: number;
}

const barClass = (u: number | null) => (u === null ? 'none' : u >= 0.999 ? 'ok' : u >= 0.95 ? 'warn' : 'bad');

const dayText = (d: DayBar) => `${d.day}: ${d.uptime === null ? 'no data' : `${pct(d.uptime)} up, ${d.checks} checks`}`;

/**
 * Daily uptime bars. `detailed` (the service page): one rect per day, each with its own hover text. Compact
 * (the overview, 200 cards): one path per colour, whose hover text lists the days in it that fell short.
 */
export function dayBars(days: readonly DayBar[], detailed = false): SafeHtml {
  const w = 8;
  const step = 10;
  const measured = days.filter((d) => d.uptime !== null);
  const worst = measured.reduce<DayBar | undefined>((acc, d) => (acc === undefined || (d.uptime ?? 1) < (acc.uptime ?? 1) ? d : acc), undefined);
  const summary = worst ? `worst day ${worst.day}: ${pct(worst.uptime)}` : 'no data yet';
  let body: SafeHtml[];
  if (detailed) {
    body = days.map((d, i) => html`<rect class="${barClass(d.uptime)}" x="${i * step}" width="${w}" height="22"><title>${dayText(d)}</title></rect>`);
  } else {
    const groups = new Map<string, { d: string; days: DayBar[] }>();
    days.forEach((day, i) => {
      const cls = barClass(day.uptime);
      const g = groups.get(cls) ?? { d: '', days: [] };
      g.d += `M${i * step} 0h${w}v22h-${w}z`;
      g.days.push(day);
      groups.set(cls, g);
    });
    body = [...groups].map(([cls, g]) => {
      const title = cls === 'none' ? `${g.days.length} days without data` : cls === 'ok' ? `${g.days.length} days at 99.90% or more` : g.days.map(dayText).join('\n');
      return html`<path class="${cls}" d="${g.d}"><title>${title}</title></path>`;
    });
  }
  return html`<svg class="bars" viewBox="0 0 ${days.length * step - (step - w)} 22" width="100%" height="22" preserveAspectRatio="none" role="img" aria-label="uptime per day, last ${days.length} days; ${summary}">${body}</svg>`;
}

export function sparkline(points: ReadonlyArray<number | null>): SafeHtml {
  const w = 300;
  const h = 28;
  const values = points.filter((p): p is number => p !== null);
  if (values.length === 0) return html`<svg class="spark" viewBox="0 0 ${w} ${h}" width="100%" height="${h}" role="img" aria-label="no response-time data yet"></svg>`;
  const max = Math.max(...values, 1);
  const step = w / Math.max(points.length - 1, 1);
  const y = (v: number) => Math.round(h - 2 - (v / max) * (h - 4));
  const coords = points
    .map((p, i) => (p === null ? null : `${Math.round(i * step)},${y(p)}`))
    .filter(Boolean)
    .join(' ');
  // The latest point is marked, so a series of one (a fresh start) is visible too.
  const lastIndex = points.reduce<number>((acc, p, i) => (p === null ? acc : i), 0);
  return html`<svg class="spark" viewBox="0 0 ${w} ${h}" width="100%" height="${h}" preserveAspectRatio="none" role="img" aria-label="response time, last hour, max ${max} ms"><polyline points="${coords}"/><circle cx="${Math.round(lastIndex * step)}" cy="${y(points[lastIndex] ?? 0)}" r="2.5"/></svg>`;
}

export interface LatencyPoint {
  /** Bucket start, ISO 8601. */
  at: string;
  avgMs: number | null;
  p95Ms: number | null;
}

/** A step of 1, 2 or 5 × 10^n that splits `max` into about four ticks. */
function niceStep(max: number): number {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** Polyline segments of one series; a gap (no data) breaks the line. */
function segments(points: readonly LatencyPoint[], pick: (p: LatencyPoint) => number | null, x: (i: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  points.forEach((p, i) => {
    const v = pick(p);
    if (v === null) {
      if (cur.length) out.push(cur.join(' '));
      cur = [];
    } else cur.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (cur.length) out.push(cur.join(' '));
  return out;
}

/** Response time over a range: average and p95 lines, a y axis in ms and time labels on the x axis. */
export function latencyChart(points: readonly LatencyPoint[], label: (iso: string) => string): SafeHtml {
  const W = 1100;
  const H = 240;
  const left = 56;
  const right = 12;
  const top = 12;
  const bottom = 28;
  const values = points.flatMap((p) => [p.avgMs, p.p95Ms]).filter((v): v is number => v !== null);
  if (values.length === 0) return html`<p class="muted">No response-time data in this range yet.</p>`;
  const step = niceStep(Math.max(...values, 1));
  const max = Math.ceil(Math.max(...values, 1) / step) * step;
  const x = (i: number) => left + (points.length <= 1 ? 0 : (i / (points.length - 1)) * (W - left - right));
  const y = (v: number) => top + (1 - v / max) * (H - top - bottom);
  const yTicks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  const xTickCount = Math.min(6, points.length);
  const xTicks = Array.from({ length: xTickCount }, (_, k) => Math.round((k * (points.length - 1)) / Math.max(xTickCount - 1, 1)));
  const line = (cls: string, pick: (p: LatencyPoint) => number | null) => segments(points, pick, x, y).map((pts) => html`<polyline class="${cls}" points="${pts}"/>`);
  const dots = points.map((p, i) =>
    p.avgMs === null ? null : html`<circle cx="${x(i).toFixed(1)}" cy="${y(p.avgMs).toFixed(1)}" r="2.5"><title>${label(p.at)}: avg ${ms(p.avgMs)}, p95 ${ms(p.p95Ms)}</title></circle>`,
  );
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="response time, average and p95, max ${max} ms">
<g class="grid">${yTicks.map((t) => html`<line x1="${left}" x2="${W - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`)}</g>
<g class="axis y">${yTicks.map((t) => html`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}">${t} ms</text>`)}</g>
<g class="axis x">${xTicks.map((i, k) => html`<text x="${x(i).toFixed(1)}" y="${H - 8}" class="${k === 0 ? 'first' : k === xTicks.length - 1 ? 'last' : ''}">${label(points[i]?.at ?? '')}</text>`)}</g>
<line class="base" x1="${left}" x2="${W - right}" y1="${y(0)}" y2="${y(0)}"/>
${line('p95', (p) => p.p95Ms)}${line('avg', (p) => p.avgMs)}${dots}
</svg><figcaption><span class="key avg"></span>average <span class="key p95"></span>p95</figcaption></figure>`;
}
