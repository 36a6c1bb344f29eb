// The incidents page: filters (service, state), MTTR, the table with acknowledgement, paging.
import type { IncidentJson, IncidentState } from '../incidents/incident-repository.js';
import { INCIDENT_STATES } from '../incidents/incident-repository.js';
import { duration, STATUS_LABEL, time } from './format.js';
import { html, join, type SafeHtml } from './html.js';

function acknowledgement(i: IncidentJson, returnTo: string): SafeHtml | string {
  if (i.acknowledged_at) return html`<span class="muted">by ${i.acknowledged_by ?? '?'}, ${time(i.acknowledged_at)}</span>`;
  if (i.resolved_at) return '';
  return html`<form method="post" action="/incidents/${i.id}/acknowledge" class="inline"><input type="hidden" name="next" value="${returnTo}"><button type="submit" data-ack="${i.id}">Acknowledge</button></form>`;
}

export function incidentTable(incidents: readonly IncidentJson[], returnTo: string, withService = true): SafeHtml {
  if (incidents.length === 0) return html`<p class="muted">No incidents.</p>`;
  return html`<table class="incidents"><thead><tr>${withService ? html`<th>service</th>` : ''}<th>status</th><th>failing dependencies</th><th>opened</th><th>resolved</th><th class="num">duration</th><th>cause</th><th>acknowledged</th></tr></thead><tbody>${incidents.map(
    (i) =>
      html`<tr data-incident="${i.id}" data-state="${i.resolved_at ? 'resolved' : 'open'}">${withService ? html`<td><a href="/services/${i.service}">${i.service}</a></td>` : ''}<td>${STATUS_LABEL[i.status] ?? i.status}</td><td>${
        i.dependencies.length ? join(i.dependencies, ', ') : html`<span class="muted">–</span>`
      }</td><td>${time(i.opened_at)}</td><td>${i.resolved_at ? time(i.resolved_at) : html`<span class="pill down">open</span>`}</td><td class="num" data-duration="${i.duration_seconds}">${duration(
        i.duration_seconds,
      )}</td><td>${i.cause}</td><td>${acknowledgement(i, returnTo)}</td></tr>`,
  )}</tbody></table>`;
}

export interface IncidentsPageData {
  incidents: IncidentJson[];
  mttr: { from: string; to: string; resolved: number; mttr_seconds: number | null };
  nextHref: string | null;
  services: readonly string[];
  filter: { service?: string | undefined; state?: IncidentState | undefined };
  returnTo: string;
}

function filterForm(d: IncidentsPageData): SafeHtml {
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/incidents" class="filters" id="incident-filters"><label>service <select name="service">${option('', 'all', !d.filter.service)}${d.services.map((s) =>
    option(s, s, d.filter.service === s),
  )}</select></label><label>state <select name="state">${option('', 'all', !d.filter.state)}${INCIDENT_STATES.map((s) => option(s, s, d.filter.state === s))}</select></label><button type="submit">Filter</button></form>`;
}

export function incidentsMain(d: IncidentsPageData): SafeHtml {
  return html`<div class="banner"><div class="stat"><b id="mttr">${duration(d.mttr.mttr_seconds)}</b><span>MTTR (${d.mttr.resolved} resolved, ${time(d.mttr.from)} – ${time(d.mttr.to)})</span></div>${filterForm(d)}</div>${incidentTable(
    d.incidents,
    d.returnTo,
  )}${d.nextHref ? html`<p class="pager"><a href="${d.nextHref}">Older incidents →</a></p>` : ''}`;
}
