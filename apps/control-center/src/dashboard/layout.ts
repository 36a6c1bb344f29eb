// The page frame (header, navigation, stylesheet and live-refresh script) and the not-found page.
import { html, type SafeHtml } from './html.js';

export type Page = 'overview' | 'incidents' | 'service' | 'workflows' | 'none';

export function layout(title: string, active: Page, refreshMs: number, main: SafeHtml): SafeHtml {
  const nav = (href: string, label: string, page: Page) => html`<a href="${href}" class="${active === page ? 'active' : ''}">${label}</a>`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Factory control center</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css"></head><body data-refresh-ms="${refreshMs}"><header class="top"><h1>Factory control center</h1><nav>${nav('/', 'Overview', 'overview')}${nav('/incidents', 'Incidents', 'incidents')}${nav('/workflows', 'Workflows', 'workflows')}</nav><span class="live" id="live">live</span></header><main>${main}</main><script src="/assets/dashboard.js"></script></body></html>`;
}

/** What a browser sees for a page that does not exist (JSON clients keep the error envelope). */
export function notFoundPage(path: string, message: string): SafeHtml {
  return layout(
    'Not found',
    'none',
    0,
    html`<section class="notfound" id="not-found"><h2>Page not found</h2><p>${message}</p><p class="muted">${path}</p><p><a href="/">Back to the overview</a> · <a href="/incidents">Incidents</a></p></section>`,
  );
}
