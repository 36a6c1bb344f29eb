// The service page: its card, response time over a chosen range, uptime and MTTR, maintenance,
// dependencies, incidents, tools and recent checks.
import { LATENCY_RANGES, type LatencyRange } from '../health/latency-series.js';
import type { ServiceView } from '../health/snapshot.js';
import type { IncidentJson } from '../incidents/incident-repository.js';
import { latencyChart, type LatencyPoint } from './charts.js';
import { count, duration, ms, pct, STATUS_LABEL, time } from './format.js';
import { html, type SafeHtml } from './html.js';
import { incidentTable } from './incidents-page.js';
import { serviceCard } from './overview.js';

export interface ServicePageData {
  view: ServiceView;
  range: LatencyRange;
  latency: LatencyPoint[];
  mttr: Record<string, number | null>;
  dependencies: Array<{ dependency: string; checks: number; success_ratio: number | null; latency_avg_ms: number | null; latency_p95_ms: number | null }>;
  incidents: IncidentJson[];
  tools: Array<{ name: string; title: string | null; readOnly: boolean; destructive: boolean; idempotent: boolean; openWorld: boolean }>;
  recent: Array<{ checked_at: string; success: boolean; status: string; latency_ms: number | null; message: string | null }>;
}

const WINDOWS = ['24h', '7d', '30d', '90d'] as const;
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

function rangeSelector(name: string, active: LatencyRange): SafeHtml {
  return html`<nav class="ranges" aria-label="time range">${LATENCY_RANGES.map(
    (r) => html`<a href="/services/${name}?range=${r}" class="${r === active ? 'active' : ''}" data-range="${r}">${r}</a>`,
  )}</nav>`;
}

function maintenanceSection(s: ServiceView): SafeHtml {
  if (s.maintenance) {
    return html`<p>In maintenance until ${time(s.maintenance.endsAt)} (${s.maintenance.reason}, set by ${s.maintenance.by}). Failures open no incident and count against no uptime.</p><form method="post" action="/services/${s.name}/maintenance/end" class="inline"><button type="submit">End maintenance</button></form>`;
  }
  return html`<form method="post" action="/services/${s.name}/maintenance" class="filters" id="maintenance-form"><label>silence for <select name="minutes"><option value="30">30 minutes</option><option value="60" selected>1 hour</option><option value="240">4 hours</option><option value="1440">1 day</option></select></label><label>reason <input name="reason" required maxlength="300" placeholder="e.g. database upgrade"></label><button type="submit">Start maintenance</button></form>`;
}

export function serviceMain(d: ServicePageData): SafeHtml {
  const s = d.view;
  const label = (iso: string) => (d.range === '7d' ? iso.slice(5, 10) : iso.slice(11, 16));
  const deps = d.dependencies.map(
    (x) =>
      html`<tr><td>${x.dependency}</td><td class="num">${count(x.checks)}</td><td class="num">${pct(x.success_ratio)}</td><td class="num">${ms(x.latency_avg_ms)}</td><td class="num">${ms(x.latency_p95_ms)}</td></tr>`,
  );
  const tools = d.tools.map(
    (t) =>
      html`<tr><td>${t.name}</td><td>${t.title ?? ''}</td><td>${t.readOnly ? 'read-only' : html`<b>writes</b>`}</td><td>${yesNo(t.destructive)}</td><td>${yesNo(t.idempotent)}</td><td>${yesNo(t.openWorld)}</td></tr>`,
  );
  const recent = d.recent
    .slice(0, 20)
    .map(
      (r) =>
        html`<tr><td>${time(r.checked_at)}</td><td><span class="pill ${r.status}">${STATUS_LABEL[r.status] ?? r.status}</span></td><td class="num">${ms(r.latency_ms)}</td><td>${r.message ?? ''}</td></tr>`,
    );
  return html`<section>${serviceCard(s, true)}</section>
<section id="response-time"><h2>Response time <span class="muted">/health, last ${d.range}</span></h2>${rangeSelector(s.name, d.range)}${latencyChart(d.latency, label)}</section>
<section><h2>Uptime and MTTR</h2><table class="windows"><thead><tr><th></th>${WINDOWS.map((w) => html`<th class="num">${w}</th>`)}</tr></thead><tbody><tr><th>uptime</th>${WINDOWS.map(
    (w) => html`<td class="num">${pct(s.uptime[w])}</td>`,
  )}</tr><tr><th>MTTR</th>${WINDOWS.map((w) => html`<td class="num">${duration(d.mttr[w] ?? null)}</td>`)}</tr></tbody></table></section>
<section id="maintenance"><h2>Maintenance</h2>${maintenanceSection(s)}</section>
<section><h2>Dependencies, last 24 h</h2>${
    deps.length
      ? html`<table><thead><tr><th>dependency</th><th class="num">checks</th><th class="num">success</th><th class="num">avg latency</th><th class="num">p95 latency</th></tr></thead><tbody>${deps}</tbody></table>`
      : html`<p class="muted">No dependency data yet.</p>`
  }</section>
<section><h2>Incidents</h2>${incidentTable(d.incidents, `/services/${s.name}`, false)}</section>
<section><h2>Tools</h2>${
    tools.length
      ? html`<table><thead><tr><th>tool</th><th>title</th><th>mode</th><th>destructive</th><th>idempotent</th><th>open world</th></tr></thead><tbody>${tools}</tbody></table>`
      : html`<p class="muted">No tool catalog.</p>`
  }</section>
<section><h2>Recent checks</h2><table><thead><tr><th>checked</th><th>status</th><th class="num">response time</th><th>message</th></tr></thead><tbody>${recent}</tbody></table></section>`;
}
