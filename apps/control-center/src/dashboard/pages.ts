// Dashboard routes: overview, service detail and incidents pages, the operator's forms (acknowledge,
// maintenance), a not-found page for browsers, the stylesheet and script.
// Pages read the collector's snapshot (and Postgres for history); a view never triggers a check.
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { AppError, BadRequestError, NotFoundError, z } from '@factory/base-server';
import { acknowledge, callerName, findService, maintenanceBody, queryIncidents, serviceDetail, type ApiDeps } from '../api/routes.js';
import { BodyCache } from '../api/cached-body.js';
import { LATENCY_RANGES } from '../health/latency-series.js';
import { INCIDENT_STATES } from '../incidents/incident-repository.js';
import { CSS_ETAG, DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_JS, JS_ETAG } from './assets.js';
import type { SafeHtml } from './html.js';
import { incidentsMain } from './incidents-page.js';
import { layout, notFoundPage, type Page } from './layout.js';
import { OVERVIEW_PAGE_SIZE, OVERVIEW_STATUSES, overviewMain, type OverviewView } from './overview.js';
import { serviceMain } from './service-page.js';

const incidentsPageQuery = z.object({
  service: z.string().max(63).optional().transform((v) => v || undefined),
  state: z
    .union([z.enum(INCIDENT_STATES), z.literal('')])
    .optional()
    .transform((v) => v || undefined),
  cursor: z.string().regex(/^\d{1,19}$/).optional(),
});
const servicePageQuery = z.object({ range: z.enum(LATENCY_RANGES).default('24h') });
/** A path on this site to come back to after a form, never another origin. */
const returnPath = (v: unknown, fallback: string) => (typeof v === 'string' && /^\/(?![/\\])[\w\-/.?=&%]*$/.test(v) ? v : fallback);

// Pages past the last one show the last one; the cache holds at most one entry per real page.
const overviewQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  status: z.enum(OVERVIEW_STATUSES).optional(),
});

function setPageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('Cache-Control', 'no-store');
  // Same-origin form posts carry their Origin (no-referrer would make browsers send "Origin: null").
  res.setHeader('Referrer-Policy', 'same-origin');
}

function send(req: Request, res: Response, title: string, page: Page, refreshMs: number, main: SafeHtml, status = 200): void {
  setPageHeaders(res);
  res
    .status(status)
    .type('html')
    .send(String(req.headers['x-partial'] === '1' ? main : layout(title, page, refreshMs, main)));
}

/** A page in the dashboard frame (or only its main part, for live refresh): for feature pages outside this file. */
export const sendPage = send;

const wantsHtml = (req: Request) => req.accepts(['json', 'html']) === 'html';

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
  const form = express.urlencoded({ extended: false, limit: 4096 });

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
      const key = `overview|${view.status ?? ''}|${view.page}`;
      const version = String(snap.revision);
      const main = () => String(overviewMain(snap, view));
      const body = partial ? cache.get(`${key}|main`, version, main) : cache.get(key, version, () => String(layout('Overview', 'overview', refreshMs, overviewMain(snap, view))));
      setPageHeaders(res);
      cache.send(req, res, body, 'text/html; charset=utf-8');
    }),
  );

  app.get(
    '/services/:name',
    wrap(async (req, res) => {
      const name = String(req.params.name);
      const query = servicePageQuery.safeParse(req.query);
      if (!query.success) throw new BadRequestError('validation_failed', 'Invalid range: use range=1h, 24h or 7d.');
      const detail = await serviceDetail(deps, name, query.data.range);
      const view = detail.current ?? deps.collector.snapshot.services.find((s) => s.name === name);
      if (!view) throw new BadRequestError('service_not_polled', `${name} has not been polled yet.`);
      const main = serviceMain({
        view,
        range: query.data.range,
        latency: detail.response_time.points.map((p) => ({ at: p.at, avgMs: p.avg_ms, p95Ms: p.p95_ms })),
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
      if (!parsed.success) throw new BadRequestError('validation_failed', `Invalid incidents filter: use service, state=${INCIDENT_STATES.join('|')} and cursor.`);
      const filter = { service: parsed.data.service, state: parsed.data.state };
      const data = await queryIncidents(deps, { ...parsed.data, ...filter, limit: 50, dependency: undefined, from: undefined, to: undefined });
      const params = new URLSearchParams();
      if (filter.service) params.set('service', filter.service);
      if (filter.state) params.set('state', filter.state);
      const here = `/incidents${params.size ? `?${params.toString()}` : ''}`;
      if (data.next_cursor) params.set('cursor', data.next_cursor);
      const main = incidentsMain({
        incidents: data.incidents,
        mttr: data.mttr,
        nextHref: data.next_cursor ? `/incidents?${params.toString()}` : null,
        services: deps.services.map((s) => s.name),
        filter,
        returnTo: here,
      });
      send(req, res, 'Incidents', 'incidents', refreshMs, main);
    }),
  );

  // The operator's forms: plain same-origin POSTs (no script needed), answered with a redirect back.
  app.post(
    '/incidents/:id/acknowledge',
    form,
    wrap(async (req, res) => {
      const id = String(req.params.id);
      if (!/^\d{1,19}$/.test(id)) throw new NotFoundError('incident_not_found', `No incident has id ${id}.`);
      await acknowledge(deps, id, callerName(req));
      res.redirect(303, returnPath((req.body as { next?: unknown } | undefined)?.next, '/incidents'));
    }),
  );
  app.post(
    '/services/:name/maintenance',
    form,
    wrap(async (req, res) => {
      const name = findService(deps.services, String(req.params.name)).name;
      const body = maintenanceBody.safeParse(req.body ?? {});
      if (!body.success) throw new BadRequestError('validation_failed', 'Give minutes (1 to 10080) and a reason.');
      await deps.collector.startMaintenance(name, body.data.minutes, body.data.reason, callerName(req));
      res.redirect(303, `/services/${name}`);
    }),
  );
  app.post(
    '/services/:name/maintenance/end',
    wrap(async (req, res) => {
      const name = findService(deps.services, String(req.params.name)).name;
      await deps.collector.endMaintenance(name);
      res.redirect(303, `/services/${name}`);
    }),
  );

  app.get('/assets/dashboard.css', asset(DASHBOARD_CSS, 'text/css', CSS_ETAG));
  app.get('/assets/dashboard.js', asset(DASHBOARD_JS, 'text/javascript', JS_ETAG));

  // Browsers get a page, not the JSON envelope, for a page that does not exist (an unknown service
  // included). JSON clients, /api/* and the routes base-server adds after this one are left alone.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/') || req.path === '/openapi.json' || !wantsHtml(req)) return next();
    setPageHeaders(res);
    res.status(404).type('html').send(String(notFoundPage(req.path, 'There is no page here.')));
  });
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof AppError) || err.status !== 404 || req.method !== 'GET' || !wantsHtml(req)) return next(err);
    setPageHeaders(res);
    res.status(404).type('html').send(String(notFoundPage(req.path, err.message)));
  });
}
