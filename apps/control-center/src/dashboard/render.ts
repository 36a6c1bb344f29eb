// Server-rendered dashboard pages: plain HTML and inline SVG, no build step.
import type { Snapshot, ServiceView } from '../health/snapshot.js';
import type { QueueView } from '../queue/memory-queue.js';
import { escapeHtml as e } from './html.js';

export type Page = 'overview' | 'incidents' | 'service';

export function layout(title: string, active: Page, refreshMs: number, main: string): string {
  const nav = (href: string, label: string, page: Page) => `<a href="${href}"${active === page ? ' class="active"' : ''}>${label}</a>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)} · Factory control center</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css"></head><body data-refresh-ms="${refreshMs}"><header class="top"><h1>Factory control center</h1><nav>${nav('/', 'Overview', 'overview')}${nav('/incidents', 'Incidents', 'incidents')}</nav><span class="live" id="live">live</span></header><main>${main}</main><script src="/assets/dashboard.js"></script></body></html>`;
}

const STATUS_LABEL: Record<string, string> = { up: 'Up', degraded: 'Degraded', not_ready: 'Not ready', down: 'Down', unknown: 'Unknown' };

export const pct = (v: number | null, digits = 2): string => (v === null ? '–' : `${(v * 100).toFixed(digits)}%`);

export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v} ms`);
const time = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '–');

export function dayBars(days: ServiceView['days']): string {
  // One path per colour keeps 200 cards small: no element per day.
  const w = 8;
  const step = 10;
  const paths: Record<string, string> = { none: '', ok: '', warn: '', bad: '' };
  let worst: ServiceView['days'][number] | undefined;
  days.forEach((d, i) => {
    const cls = d.uptime === null ? 'none' : d.uptime >= 0.999 ? 'ok' : d.uptime >= 0.95 ? 'warn' : 'bad';
    paths[cls] += `M${i * step} 0h${w}v22h-${w}z`;
    if (d.uptime !== null && (worst === undefined || d.uptime < (worst.uptime ?? 1))) worst = d;
  });
  const summary = worst ? `worst day ${worst.day}: ${pct(worst.uptime)}` : 'no data yet';
  const body = Object.entries(paths)
    .filter(([, d]) => d)
    .map(([cls, d]) => `<path class="${cls}" d="${d}"/>`)
    .join('');
  return `<svg class="bars" viewBox="0 0 ${days.length * step - (step - w)} 22" width="100%" height="22" preserveAspectRatio="none" role="img" aria-label="uptime per day, last ${days.length} days; ${summary}"><title>${e(summary)}</title>${body}</svg>`;
}

export function sparkline(points: ReadonlyArray<number | null>): string {
  const w = 300;
  const h = 28;
  const values = points.filter((p): p is number => p !== null);
  if (values.length === 0) return `<svg class="spark" viewBox="0 0 ${w} ${h}" width="100%" height="${h}" role="img" aria-label="no response-time data yet"></svg>`;
  const max = Math.max(...values, 1);
  const step = w / Math.max(points.length - 1, 1);
  const y = (v: number) => Math.round(h - 2 - (v / max) * (h - 4));
  const coords = points
    .map((p, i) => (p === null ? null : `${Math.round(i * step)},${y(p)}`))
    .filter(Boolean)
    .join(' ');
  // The latest point is marked, so a series of one (a fresh start) is visible too.
  const lastIndex = points.reduce<number>((acc, p, i) => (p === null ? acc : i), 0);
  const dot = `<circle cx="${Math.round(lastIndex * step)}" cy="${y(points[lastIndex] ?? 0)}" r="2.5"/>`;
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" width="100%" height="${h}" preserveAspectRatio="none" role="img" aria-label="response time, last hour, max ${max} ms"><polyline points="${coords}"/>${dot}</svg>`;
}

function dependencyList(s: ServiceView): string {
  const deps = Object.entries(s.checks);
  if (deps.length === 0) return s.status === 'down' ? '' : '<p class="meta">no dependency checks reported</p>';
  return `<ul class="deps">${deps
    .map(
      ([name, c]) =>
        `<li data-dependency="${e(name)}" title="${e(c.message ?? c.status)}"><span class="dot ${e(c.status)}"></span>${e(name)}${c.required ? '' : ' <span class="muted">(optional)</span>'}<span class="lat">${e(c.status === 'ok' ? ms(c.latency_ms) : `${c.status.replace('_', ' ')} · ${ms(c.latency_ms)}`)}</span></li>`,
    )
    .join('')}</ul>`;
}

function metaLine(s: ServiceView): string {
  const parts = [s.required ? 'required' : 'optional'];
  if (s.mcp) {
    if (s.catalog && !s.catalog.error) parts.push(s.catalog.writeMode, `${s.catalog.toolCount} tools`, `${s.catalog.tokenCost.toLocaleString('en-US')} tokens`);
    else parts.push('catalog unavailable');
  } else parts.push('no MCP');
  if (s.version) parts.push(`v${s.version}`);
  return parts.map(e).join(' · ');
}

export function serviceCard(s: ServiceView): string {
  const probe = s.probe ? `<p class="meta">probe ${e(s.probe.tool)}: ${s.probe.success ? `ok · ${ms(s.probe.latencyMs)}` : `<span class="err">${e(s.probe.message ?? 'failed')}</span>`}</p>` : '';
  return `<article class="card ${e(s.status)}" data-service="${e(s.name)}" data-status="${e(s.status)}"><h2><a href="/services/${e(s.name)}">${e(s.name)}</a><span class="pill ${e(s.status)}">${e(STATUS_LABEL[s.status] ?? s.status)}</span></h2><p class="meta">${metaLine(s)}</p>${dependencyList(s)}${s.error ? `<p class="err">${e(s.error)}</p>` : ''}${probe}<div class="charts"><div class="label"><span>30 days</span><span>${pct(s.uptime['30d'])} up</span></div>${dayBars(s.days)}<div class="label"><span>response time, 1 h</span><span>${ms(s.healthLatencyMs)}</span></div>${sparkline(s.sparkline)}</div></article>`;
}

function queueStats(q: QueueView): string {
  if (!q.configured) return `<div class="stat"><b>not configured</b><span>memory queue (${e(q.error ?? '')})</span></div>`;
  if (q.error) return `<div class="stat"><b class="err">${e(q.error)}</b><span>memory queue</span></div>`;
  const age = q.oldestWaitingAgeSeconds === null ? '–' : duration(q.oldestWaitingAgeSeconds);
  return `<div class="stat"><b>${q.waiting ?? 0} / ${q.active ?? 0} / ${q.delayed ?? 0} / ${q.failed ?? 0}</b><span>queue waiting / active / delayed / failed</span></div><div class="stat"><b>${e(age)}</b><span>oldest waiting job</span></div>`;
}

/** Cards per overview page: the page stays small (about 2 KB a card) however many services are registered. */
export const OVERVIEW_PAGE_SIZE = 60;
export const OVERVIEW_STATUSES = ['up', 'degraded', 'not_ready', 'down', 'unknown'] as const;
export type OverviewStatus = (typeof OVERVIEW_STATUSES)[number];

export interface OverviewView {
  /** 1-based. */
  page: number;
  /** Only the services in this status (null: all). */
  status: OverviewStatus | null;
}

const overviewHref = (v: OverviewView) => {
  const q = new URLSearchParams();
  if (v.status) q.set('status', v.status);
  if (v.page > 1) q.set('page', String(v.page));
  const s = q.toString();
  return s ? `/?${s}` : '/';
};

/** Counts per status (each a filter link) and the page's position, for fleets larger than one page. */
function overviewNav(snap: Snapshot, view: OverviewView, shown: number, total: number, pages: number): string {
  const counts = new Map<string, number>();
  for (const s of snap.services) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const link = (label: string, status: OverviewStatus | null, n: number) =>
    `<a href="${e(overviewHref({ page: 1, status }))}"${view.status === status ? ' class="active"' : ''} data-filter="${e(status ?? 'all')}">${e(label)} ${n.toLocaleString('en-US')}</a>`;
  const filters = [link('All', null, snap.services.length), ...OVERVIEW_STATUSES.filter((st) => counts.has(st)).map((st) => link(STATUS_LABEL[st] ?? st, st, counts.get(st) ?? 0))].join(' · ');
  const first = total === 0 ? 0 : (view.page - 1) * OVERVIEW_PAGE_SIZE + 1;
  const pager =
    pages > 1
      ? `<span class="muted">${first.toLocaleString('en-US')}–${(first + shown - 1).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}</span>${
          view.page > 1 ? ` <a href="${e(overviewHref({ ...view, page: view.page - 1 }))}" rel="prev">← Previous</a>` : ''
        }${view.page < pages ? ` <a href="${e(overviewHref({ ...view, page: view.page + 1 }))}" rel="next">Next →</a>` : ''}`
      : '';
  return `<p class="pager" id="overview-nav">${filters}${pager ? ` · ${pager}` : ''}</p>`;
}

export function overviewMain(snap: Snapshot, view: OverviewView = { page: 1, status: null }): string {
  const down = snap.services.filter((s) => s.required && s.ready === false).map((s) => s.name);
  const headline =
    snap.available === null
      ? 'Waiting for the first sweep…'
      : snap.available
        ? 'Factory available'
        : `Factory unavailable: ${down.slice(0, 10).join(', ')}${down.length > 10 ? ` and ${down.length - 10} more` : ''} not ready`;
  const listed = view.status ? snap.services.filter((s) => s.status === view.status) : snap.services;
  const pages = Math.max(1, Math.ceil(listed.length / OVERVIEW_PAGE_SIZE));
  const page = listed.slice((Math.min(view.page, pages) - 1) * OVERVIEW_PAGE_SIZE, Math.min(view.page, pages) * OVERVIEW_PAGE_SIZE);
  const nav = snap.services.length > OVERVIEW_PAGE_SIZE || view.status ? overviewNav(snap, { ...view, page: Math.min(view.page, pages) }, page.length, listed.length, pages) : '';
  const up = snap.services.filter((s) => s.ready === true).length;
  return `<div class="banner ${snap.available === null ? '' : snap.available ? 'ok' : 'bad'}" id="availability" data-available="${String(snap.available)}"><span class="headline">${e(headline)}</span><div class="stat"><b>${up} / ${snap.services.length}</b><span>services ready</span></div><div class="stat"><b>${snap.openIncidents}</b><span>open incidents</span></div><div class="stat"><b>${e(duration(snap.mttr24h))} / ${e(duration(snap.mttr30d))}</b><span>MTTR 24 h / 30 d</span></div>${queueStats(snap.queue)}<div class="stat"><b>${e(snap.lastSweepAt ? snap.lastSweepAt.slice(11, 19) : '–')} UTC</b><span>last sweep${snap.lastSweepMs === null ? '' : ` (${snap.lastSweepMs} ms)`}</span></div></div>${nav}<div class="grid">${page.map(serviceCard).join('')}</div>`;
}

export interface ServicePageData {
  view: ServiceView;
  mttr: Record<string, number | null>;
  dependencies: Array<{ dependency: string; checks: number; success_ratio: number | null; latency_avg_ms: number | null; latency_p95_ms: number | null }>;
  incidents: Array<{ id: string; dependency: string | null; opened_at: string; resolved_at: string | null; duration_seconds: number; cause: string }>;
  tools: Array<{ name: string; title: string | null; readOnly: boolean; destructive: boolean; idempotent: boolean; openWorld: boolean }>;
  recent: Array<{ checked_at: string; success: boolean; status: string; latency_ms: number | null; message: string | null }>;
}

export function serviceMain(d: ServicePageData): string {
  const s = d.view;
  const uptimeRow = (['24h', '7d', '30d', '90d'] as const).map((w) => `<td class="num">${pct(s.uptime[w], 3)}</td>`).join('');
  const mttrRow = (['24h', '7d', '30d', '90d'] as const).map((w) => `<td class="num">${e(duration(d.mttr[w] ?? null))}</td>`).join('');
  const deps = d.dependencies
    .map(
      (x) =>
        `<tr><td>${e(x.dependency)}</td><td class="num">${x.checks}</td><td class="num">${pct(x.success_ratio)}</td><td class="num">${ms(x.latency_avg_ms)}</td><td class="num">${ms(x.latency_p95_ms)}</td></tr>`,
    )
    .join('');
  const tools = d.tools
    .map(
      (t) =>
        `<tr><td>${e(t.name)}</td><td>${e(t.title ?? '')}</td><td>${t.readOnly ? 'read-only' : '<b>writes</b>'}</td><td>${t.destructive ? 'yes' : 'no'}</td><td>${t.idempotent ? 'yes' : 'no'}</td><td>${t.openWorld ? 'yes' : 'no'}</td></tr>`,
    )
    .join('');
  return `<section>${serviceCard(s)}</section><section><h2>Uptime and MTTR</h2><table><tr><th></th><th>24 h</th><th>7 d</th><th>30 d</th><th>90 d</th></tr><tr><th>uptime</th>${uptimeRow}</tr><tr><th>MTTR</th>${mttrRow}</tr></table></section><section><h2>Dependencies, last 24 h</h2>${
    deps ? `<table><tr><th>dependency</th><th>checks</th><th>success</th><th>avg latency</th><th>p95 latency</th></tr>${deps}</table>` : '<p class="muted">No dependency data yet.</p>'
  }</section><section><h2>Incidents</h2>${incidentTable(d.incidents.map((i) => ({ ...i, service: s.name })), false)}</section><section><h2>Tools</h2>${
    tools ? `<table><tr><th>tool</th><th>title</th><th>mode</th><th>destructive</th><th>idempotent</th><th>open world</th></tr>${tools}</table>` : '<p class="muted">No tool catalog.</p>'
  }</section><section><h2>Recent checks</h2><table><tr><th>checked</th><th>status</th><th>response time</th><th>message</th></tr>${d.recent
    .slice(0, 20)
    .map((r) => `<tr><td>${e(time(r.checked_at))}</td><td><span class="pill ${e(r.status)}">${e(STATUS_LABEL[r.status] ?? r.status)}</span></td><td class="num">${ms(r.latency_ms)}</td><td>${e(r.message ?? '')}</td></tr>`)
    .join('')}</table></section>`;
}

export function incidentTable(
  incidents: Array<{ id: string; service: string; dependency: string | null; opened_at: string; resolved_at: string | null; duration_seconds: number; cause: string }>,
  withService = true,
): string {
  if (incidents.length === 0) return '<p class="muted">No incidents.</p>';
  return `<table><tr>${withService ? '<th>service</th>' : ''}<th>dependency</th><th>opened</th><th>resolved</th><th>duration</th><th>cause</th></tr>${incidents
    .map(
      (i) =>
        `<tr data-incident="${e(i.id)}">${withService ? `<td><a href="/services/${e(i.service)}">${e(i.service)}</a></td>` : ''}<td>${e(i.dependency ?? '(service)')}</td><td>${e(time(i.opened_at))}</td><td>${
          i.resolved_at ? e(time(i.resolved_at)) : '<span class="pill down">open</span>'
        }</td><td class="num">${e(duration(i.duration_seconds))}</td><td>${e(i.cause)}</td></tr>`,
    )
    .join('')}</table>`;
}

export function incidentsMain(data: {
  incidents: Parameters<typeof incidentTable>[0];
  next_cursor: string | null;
  mttr: { from: string; to: string; resolved: number; mttr_seconds: number | null };
  nextHref: string | null;
}): string {
  return `<div class="banner"><div class="stat"><b>${e(duration(data.mttr.mttr_seconds))}</b><span>MTTR (${data.mttr.resolved} resolved, ${e(time(data.mttr.from))} – ${e(time(data.mttr.to))})</span></div></div>${incidentTable(
    data.incidents,
  )}${data.nextHref ? `<p class="pager"><a href="${e(data.nextHref)}">Older incidents →</a></p>` : ''}`;
}
