// Dashboard routes: overview, service detail and incidents pages, their stylesheet and script.
// Pages read the collector's snapshot (and Postgres for history); a view never triggers a check.
import type { Express, Request, Response, NextFunction } from 'express';
import { BadRequestError, z } from '@factory/base-server';
import { queryIncidents, serviceDetail, type ApiDeps } from '../api/routes.js';
import { BodyCache } from '../api/cached-body.js';
import { CSS_ETAG, DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_JS, JS_ETAG } from './assets.js';
import { incidentsMain, layout, OVERVIEW_PAGE_SIZE, OVERVIEW_STATUSES, overviewMain, serviceMain, type OverviewView, type Page } from './render.js';

const incidentsPageQuery = z.object({
  service: z.string().max(63).optional(),
  state: z.enum(['open', 'resolved']).optional(),
  cursor: z.string().regex(/^\d{1,19}$/).optional(),
});

// Pages past the last one show the last one; the cache holds at most one entry per real page.
const overviewQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  status: z.enum(OVERVIEW_STATUSES).optional(),
});

function setPageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('Cache-Control', 'no-store');
}

function send(req: Request, res: Response, title: string, page: Page, refreshMs: number, main: string): void {
  setPageHeaders(res);
  res.type('html').send(req.headers['x-partial'] === '1' ? main : layout(title, page, refreshMs, main));
}

function asset(body: string, type: string, etag: string) {
  return (req: Request, res: Response) => {
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.type(type).send(body);
  };
}

export function registerPages(app: Express, deps: ApiDeps, refreshMs: number): void {
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  // The overview is rendered (and compressed) once per snapshot and page, and reused until the next one.
  const cache = new BodyCache();
  app.get(
    '/',
    wrap(async (req, res) => {
      const q = overviewQuery.safeParse(req.query);
      if (!q.success) throw new BadRequestError('validation_failed', `Invalid overview filter: use page=1.. and status=${OVERVIEW_STATUSES.join('|')}.`);
      const snap = deps.collector.snapshot;
      const status = q.data.status ?? null;
      const listed = status ? snap.services.filter((s) => s.status === status).length : snap.services.length;
      const view: OverviewView = { page: Math.min(q.data.page, Math.max(1, Math.ceil(listed / OVERVIEW_PAGE_SIZE))), status };
      const partial = req.headers['x-partial'] === '1';
      const main = () => overviewMain(snap, view);
      const key = `overview|${view.status ?? ''}|${view.page}`;
      const version = String(snap.revision);
      const body = partial ? cache.get(`${key}|main`, version, main) : cache.get(key, version, () => layout('Overview', 'overview', refreshMs, main()));
      setPageHeaders(res);
      cache.send(req, res, body, 'text/html; charset=utf-8');
    }),
  );

  app.get(
    '/services/:name',
    wrap(async (req, res) => {
      const name = String(req.params.name);
      const detail = await serviceDetail(deps, name);
      const view = detail.current ?? deps.collector.snapshot.services.find((s) => s.name === name);
      if (!view) throw new BadRequestError('service_not_polled', `${name} has not been polled yet.`);
      const main = serviceMain({
        view,
        mttr: detail.mttr_seconds,
        dependencies: detail.dependencies_24h,
        incidents: detail.incidents,
        tools: detail.tools,
        recent: detail.recent_checks,
      });
      send(req, res, name, 'service', refreshMs, main);
    }),
  );

  app.get(
    '/incidents',
    wrap(async (req, res) => {
      const parsed = incidentsPageQuery.safeParse(req.query);
      if (!parsed.success) throw new BadRequestError('validation_failed', 'Invalid incidents filter: use service, state=open|resolved and cursor.');
      const data = await queryIncidents(deps, { ...parsed.data, limit: 50 });
      const params = new URLSearchParams();
      if (parsed.data.service) params.set('service', parsed.data.service);
      if (parsed.data.state) params.set('state', parsed.data.state);
      if (data.next_cursor) params.set('cursor', data.next_cursor);
      send(req, res, 'Incidents', 'incidents', refreshMs, incidentsMain({ ...data, nextHref: data.next_cursor ? `/incidents?${params.toString()}` : null }));
    }),
  );

  app.get('/assets/dashboard.css', asset(DASHBOARD_CSS, 'text/css', CSS_ETAG));
  app.get('/assets/dashboard.js', asset(DASHBOARD_JS, 'text/javascript', JS_ETAG));
}
