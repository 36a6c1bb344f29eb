// The overview: the factory headline and one card per service.
import type { Snapshot, ServiceView } from '../health/snapshot.js';
import type { QueueView } from '../queue/memory-queue.js';
import { dayBars, sparkline } from './charts.js';
import { count, duration, ms, pct, STATUS_LABEL } from './format.js';
import { html, join, type SafeHtml } from './html.js';

/** The status a card shows: a maintenance silence is shown over the measured status. */
export const shownStatus = (s: ServiceView): string => (s.maintenance ? 'maintenance' : s.status);

function dependencyList(s: ServiceView): SafeHtml | string {
  const deps = Object.entries(s.checks);
  if (deps.length === 0) return s.status === 'down' ? '' : html`<p class="meta">no dependency checks reported</p>`;
  return html`<ul class="deps">${deps.map(
    ([name, c]) =>
      html`<li data-dependency="${name}" data-check="${c.status}" title="${c.message ?? c.status}"><span class="dot ${c.status}"></span>${name}${c.required ? '' : html` <span class="muted">(optional)</span>`}<span class="lat">${
        c.status === 'ok' ? ms(c.latency_ms) : c.status === 'not_configured' ? 'not configured' : `${c.status} · ${ms(c.latency_ms)}`
      }</span></li>`,
  )}</ul>`;
}

function metaLine(s: ServiceView): SafeHtml {
  const parts = [s.required ? 'required' : 'optional'];
  if (s.mcp) {
    if (s.catalog && !s.catalog.error) parts.push(s.catalog.writeMode, `${s.catalog.toolCount} tools`, `${count(s.catalog.tokenCost)} tokens`);
    else parts.push('catalog unavailable');
  } else parts.push('no MCP');
  if (s.version) parts.push(`v${s.version}`);
  return join(parts, ' · ');
}

function incidentLine(s: ServiceView): SafeHtml | string {
  const i = s.openIncident;
  if (!i) return '';
  const ack = i.acknowledgedBy ? html` · acknowledged by ${i.acknowledgedBy}` : '';
  // The id is null while Postgres is down: the incident is known in memory only until it is written.
  return html`<p class="incident"><a href="/incidents?service=${s.name}&amp;state=open">${i.id === null ? 'Incident (not recorded yet)' : `Incident #${i.id}`}</a> open since ${i.openedAt.slice(11, 19)} UTC${ack}</p>`;
}

/** One service's card; `detailed` (the service page) gives every uptime bar its own hover text. */
export function serviceCard(s: ServiceView, detailed = false): SafeHtml {
  const status = shownStatus(s);
  const probe = s.probe
    ? html`<p class="meta">probe ${s.probe.tool}: ${s.probe.success ? `ok · ${ms(s.probe.latencyMs)}` : html`<span class="err">${s.probe.message ?? 'failed'}</span>`}</p>`
    : '';
  const setup = s.setup.length ? html`<div class="setup"><b>Not configured.</b> To enable it, set:<ul>${s.setup.map((h) => html`<li>${h}</li>`)}</ul></div>` : '';
  const maintenance = s.maintenance ? html`<p class="meta maint">maintenance until ${s.maintenance.endsAt.slice(11, 16)} UTC: ${s.maintenance.reason} (${s.maintenance.by})</p>` : '';
  const error = s.error && s.status !== 'not_configured' ? html`<p class="err">${s.error}</p>` : '';
  return html`<article class="card ${status}" data-service="${s.name}" data-status="${s.status}"><h2><a href="/services/${s.name}">${s.name}</a><span class="pill ${status}">${STATUS_LABEL[status] ?? status}</span></h2><p class="meta">${metaLine(s)}</p>${setup}${maintenance}${dependencyList(s)}${error}${incidentLine(s)}${probe}<div class="charts"><div class="label"><span>30 days</span><span>${pct(s.uptime['30d'])} up</span></div>${dayBars(s.days, detailed)}<div class="label"><span>response time, 1 h</span><span>${ms(s.healthLatencyMs)}</span></div>${sparkline(s.sparkline)}</div></article>`;
}

function queueStats(q: QueueView): SafeHtml {
  if (!q.configured) return html`<div class="stat"><b>not configured</b><span>memory queue (${q.error ?? ''})</span></div>`;
  if (q.error) return html`<div class="stat"><b class="err">${q.error}</b><span>memory queue</span></div>`;
  const age = q.oldestWaitingAgeSeconds === null ? '–' : duration(q.oldestWaitingAgeSeconds);
  return html`<div class="stat"><b>${q.waiting ?? 0} / ${q.active ?? 0} / ${q.delayed ?? 0} / ${q.failed ?? 0}</b><span>queue waiting / active / delayed / failed</span></div><div class="stat"><b>${age}</b><span>oldest waiting job</span></div>`;
}

/** "Factory available", or what makes it unavailable, each service named with what it is (down, not ready). */
export function headline(snap: Snapshot): string {
  if (snap.available === null) return 'Waiting for the first sweep…';
  const unconfigured = snap.services.filter((s) => s.status === 'not_configured').length;
  const inMaintenance = snap.services.filter((s) => s.maintenance).length;
  const notes = [unconfigured ? `${unconfigured} not configured` : '', inMaintenance ? `${inMaintenance} in maintenance` : ''].filter(Boolean);
  if (snap.available) return `Factory available${notes.length ? ` (${notes.join(', ')})` : ''}`;
  const failing = snap.services
    .filter((s) => s.required && !s.maintenance && (s.status === 'down' || s.status === 'not_ready'))
    .map((s) => `${s.name} ${s.status === 'down' ? 'down' : 'not ready'}`);
  // At most ten names: the headline stays one line however many services fail.
  return `Factory unavailable: ${failing.slice(0, 10).join(', ')}${failing.length > 10 ? ` and ${failing.length - 10} more` : ''}`;
}

/** Cards per overview page: the page stays small (about 2 KB a card) however many services are registered. */
export const OVERVIEW_PAGE_SIZE = 60;
export const OVERVIEW_STATUSES = ['up', 'degraded', 'not_ready', 'down', 'not_configured', 'unknown'] as const;
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
function overviewNav(snap: Snapshot, view: OverviewView, shown: number, total: number, pages: number): SafeHtml {
  const counts = new Map<string, number>();
  for (const s of snap.services) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const link = (label: string, status: OverviewStatus | null, n: number) =>
    html`<a href="${overviewHref({ page: 1, status })}"${view.status === status ? html` class="active"` : ''} data-filter="${status ?? 'all'}">${label} ${n.toLocaleString('en-US')}</a>`;
  const filters = join([link('All', null, snap.services.length), ...OVERVIEW_STATUSES.filter((st) => counts.has(st)).map((st) => link(STATUS_LABEL[st] ?? st, st, counts.get(st) ?? 0))], ' · ');
  const first = total === 0 ? 0 : (view.page - 1) * OVERVIEW_PAGE_SIZE + 1;
  const pager =
    pages > 1
      ? html`<span class="muted">${first.toLocaleString('en-US')}–${(first + shown - 1).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}</span>${
          view.page > 1 ? html` <a href="${overviewHref({ ...view, page: view.page - 1 })}" rel="prev">← Previous</a>` : ''
        }${view.page < pages ? html` <a href="${overviewHref({ ...view, page: view.page + 1 })}" rel="next">Next →</a>` : ''}`
      : '';
  return html`<p class="pager" id="overview-nav">${filters}${pager ? html` · ${pager}` : ''}</p>`;
}

export function overviewMain(snap: Snapshot, view: OverviewView = { page: 1, status: null }): SafeHtml {
  const listed = view.status ? snap.services.filter((s) => s.status === view.status) : snap.services;
  const pages = Math.max(1, Math.ceil(listed.length / OVERVIEW_PAGE_SIZE));
  const shownPage = Math.min(view.page, pages);
  const page = listed.slice((shownPage - 1) * OVERVIEW_PAGE_SIZE, shownPage * OVERVIEW_PAGE_SIZE);
  const nav = snap.services.length > OVERVIEW_PAGE_SIZE || view.status ? overviewNav(snap, { ...view, page: shownPage }, page.length, listed.length, pages) : '';
  const up = snap.services.filter((s) => s.ready === true).length;
  const configured = snap.services.filter((s) => s.status !== 'not_configured').length;
  const cls = snap.available === null ? '' : snap.available ? 'ok' : 'bad';
  return html`<div class="banner ${cls}" id="availability" data-available="${String(snap.available)}"><span class="headline">${headline(snap)}</span><div class="stat"><b>${up} / ${configured}</b><span>configured services ready</span></div><div class="stat"><b>${snap.openIncidents}</b><span>open incidents</span></div><div class="stat"><b>${duration(snap.mttr24h)} / ${duration(snap.mttr30d)}</b><span>MTTR 24 h / 30 d</span></div>${queueStats(snap.queue)}<div class="stat"><b>${snap.lastSweepAt ? snap.lastSweepAt.slice(11, 19) : '–'} UTC</b><span>last sweep${snap.lastSweepMs === null ? '' : ` (${snap.lastSweepMs} ms)`}</span></div></div>${nav}<div class="grid">${page.map((s) => serviceCard(s))}</div>`;
}
