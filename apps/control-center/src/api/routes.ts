// JSON API of the control center. Every read comes from the collector's snapshot or from Postgres;
// no request ever triggers a check or names a URL to fetch.
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, reply, z, type ApiRequest, type RestApi, type Service } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Database } from '../db/schema.js';
import type { HealthCollector } from '../health/collector.js';
import { LATENCY_RANGES, latencySeries, type LatencyRange } from '../health/latency-series.js';
import { rollupSeries } from '../health/rollups.js';
import { INCIDENT_STATES, incidentJson, listIncidents, mttr, mttrWindows } from '../incidents/incident-repository.js';
import { activeMaintenance, maintenanceJson } from '../incidents/maintenance.js';
import { badgeSvg } from './badge.js';
import { BodyCache } from './cached-body.js';

export interface ApiDeps {
  db: Kysely<Database>;
  collector: HealthCollector;
  services: readonly ServiceEntry[];
  version: string;
  service: () => Service;
  now: () => Date;
}

const serviceName = z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a registered service name') });
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const incidentsQuery = z.object({
  service: z.string().max(63).optional(),
  dependency: z.string().max(100).optional(),
  state: z.enum(INCIDENT_STATES).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d{1,19}$/, 'a cursor from a previous page').optional(),
});
export type IncidentsQuery = z.output<typeof incidentsQuery>;

const incidentId = z.object({ id: z.string().regex(/^\d{1,19}$/, 'an incident id') });
const serviceQuery = z.object({ range: z.enum(LATENCY_RANGES).default('24h') });
export const maintenanceBody = z.object({
  minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).describe('How long the silence lasts, from now (at most 7 days)'),
  reason: z.string().trim().min(1).max(300).describe('Why, shown on the dashboard'),
});

/** The caller's key name, recorded with an acknowledgement or a maintenance silence. */
export const callerName = (req: { principal?: { keyName: string } | undefined }): string => req.principal?.keyName ?? 'anonymous';

/** Acknowledges an incident for the caller; 404 when no such incident, 409 when it is already resolved. */
export async function acknowledge(deps: ApiDeps, id: string, by: string) {
  const i = await deps.collector.acknowledge(id, by);
  if (!i) throw new NotFoundError('incident_not_found', `No incident has id ${id}. GET /api/incidents lists them.`);
  if (i.resolved_at && !i.acknowledged_at) {
    throw new ConflictError('incident_resolved', `Incident ${id} is already resolved; only open incidents can be acknowledged.`);
  }
  return incidentJson(i, deps.now());
}

export function findService(services: readonly ServiceEntry[], name: string): ServiceEntry {
  const s = services.find((x) => x.name === name);
  if (!s) throw new NotFoundError('service_not_found', `No registered service is named "${name}". GET /api/services lists them.`);
  return s;
}

// Reads from Postgres need no outage handling of their own: while the database is down the error
// boundary of base-server answers 503 database_unavailable with Retry-After.
export async function queryIncidents(deps: ApiDeps, q: IncidentsQuery) {
  const now = deps.now();
  const page = await listIncidents(deps.db, { service: q.service, dependency: q.dependency, state: q.state, from: q.from, to: q.to, limit: q.limit, before: q.cursor });
  const windowFrom = q.from ?? new Date(now.getTime() - 30 * 86_400_000);
  const windowTo = q.to ?? now;
  const m = await mttr(deps.db, windowFrom, windowTo, { service: q.service });
  return {
    incidents: page.incidents.map((i) => incidentJson(i, now)),
    next_cursor: page.nextCursor,
    mttr: { from: windowFrom.toISOString(), to: windowTo.toISOString(), resolved: m.resolved, mttr_seconds: m.mttrSeconds },
  };
}

export async function serviceDetail(deps: ApiDeps, name: string, range: LatencyRange = '24h') {
  const entry = findService(deps.services, name);
  const now = deps.now();
  const view = deps.collector.snapshot.services.find((s) => s.name === name);
  const day = 86_400_000;
  const [hourly, daily, deps24h, recent, incidents, mttrs, responseTime] = await Promise.all([
    rollupSeries(deps.db, 'hour', new Date(now.getTime() - 7 * day), { service: name, dependency: '' }),
    rollupSeries(deps.db, 'day', new Date(now.getTime() - 90 * day), { service: name, dependency: '' }),
    rollupSeries(deps.db, 'hour', new Date(now.getTime() - day), { service: name }),
    deps.db
      .selectFrom('check_results')
      .select(['checked_at', 'success', 'status', 'latency_ms', 'message'])
      .where('service', '=', name)
      .where('dependency', '=', '')
      .orderBy('checked_at', 'desc')
      .limit(50)
      .execute(),
    listIncidents(deps.db, { service: name, limit: 20 }),
    mttrWindows(deps.db, now, [1, 7, 30, 90], { service: name }),
    latencySeries(deps.db, name, range, now),
  ]);
  // Per dependency over 24 h: checks, success ratio, average and p95 (max of hourly p95s) latency.
  const perDep = new Map<string, { checks: number; successes: number; latencySum: number; latencyN: number; p95: number | null }>();
  for (const r of deps24h) {
    if (r.dependency === '') continue;
    const d = perDep.get(r.dependency) ?? { checks: 0, successes: 0, latencySum: 0, latencyN: 0, p95: null };
    d.checks += r.checks;
    d.successes += r.successes;
    if (r.latencyAvgMs !== null) {
      d.latencySum += r.latencyAvgMs * r.checks;
      d.latencyN += r.checks;
    }
    if (r.latencyP95Ms !== null) d.p95 = Math.max(d.p95 ?? 0, r.latencyP95Ms);
    perDep.set(r.dependency, d);
  }
  const catalog = deps.collector.catalogs.get(name);
  const strip = ({ service: _s, dependency: _d, ...rest }: (typeof hourly)[number]) => rest;
  return {
    name,
    url: entry.url,
    required: entry.required,
    mcp: entry.mcp,
    probe_tool: entry.probe?.tool ?? null,
    current: view ?? null,
    uptime: view?.uptime ?? null,
    mttr_seconds: { '24h': mttrs[0]?.mttrSeconds ?? null, '7d': mttrs[1]?.mttrSeconds ?? null, '30d': mttrs[2]?.mttrSeconds ?? null, '90d': mttrs[3]?.mttrSeconds ?? null },
    latency: {
      hourly_7d: hourly.map(strip),
      daily_90d: daily.map(strip),
    },
    response_time: { range, points: responseTime.map((p) => ({ at: p.at, avg_ms: p.avgMs, p95_ms: p.p95Ms })) },
    dependencies_24h: [...perDep.entries()].map(([dependency, d]) => ({
      dependency,
      checks: d.checks,
      success_ratio: d.checks ? d.successes / d.checks : null,
      latency_avg_ms: d.latencyN ? Math.round(d.latencySum / d.latencyN) : null,
      latency_p95_ms: d.p95,
    })),
    recent_checks: recent.map((r) => ({ checked_at: new Date(r.checked_at).toISOString(), success: r.success, status: r.status, latency_ms: r.latency_ms, message: r.message })),
    incidents: incidents.incidents.map((i) => incidentJson(i, now)),
    tools: catalog ? catalog.tools : [],
  };
}

export function registerApi(api: RestApi, deps: ApiDeps): void {
  // Snapshot-backed answers are serialized once per snapshot, not once per request.
  const cache = new BodyCache();
  const JSON_TYPE = 'application/json; charset=utf-8';
  api.route({
    method: 'get',
    path: '/api/health',
    public: true,
    summary: 'Control-center liveness plus the factory availability from the latest sweep',
    tags: ['health'],
    handler: async () => {
      const snap = deps.collector.snapshot;
      return {
        status: 'ok',
        service: 'control-center',
        version: deps.version,
        timestamp: deps.now().toISOString(),
        factory: {
          available: snap.available,
          services: snap.services.length,
          up: snap.services.filter((s) => s.ready === true).length,
          open_incidents: snap.openIncidents,
          last_sweep_at: snap.lastSweepAt,
        },
      };
    },
  });

  api.route({
    method: 'get',
    path: '/api/ready',
    public: true,
    summary: "The control center's own readiness (same body and status as /ready)",
    tags: ['health'],
    handler: async () => {
      const svc = deps.service();
      const body = svc.state === 'ready' ? await svc.readiness.evaluate() : svc.readiness.notReady(`service is ${svc.state}`);
      return reply(body.ready && svc.state === 'ready' ? 200 : 503, body, { headers: { 'Cache-Control': 'no-store' } });
    },
  });

  api.route({
    method: 'get',
    path: '/api/mcp/health',
    summary: "Every registered service's latest health and readiness with its per-dependency checks",
    tags: ['health'],
    handler: async (_input, req, res) => {
      const snap = deps.collector.snapshot;
      const body = cache.get('mcp-health', String(snap.revision), () =>
        JSON.stringify({
          generated_at: snap.generatedAt,
          last_sweep_at: snap.lastSweepAt,
          factory_available: snap.available,
          services: snap.services.map((s) => ({
            name: s.name,
            required: s.required,
            status: s.status,
            live: s.live,
            ready: s.ready,
            version: s.version,
            checked_at: s.checkedAt,
            health_latency_ms: s.healthLatencyMs,
            ready_latency_ms: s.readyLatencyMs,
            error: s.error,
            checks: s.checks,
          })),
        }),
      );
      cache.send(req, res, body, JSON_TYPE);
    },
  });

  api.route({
    method: 'get',
    path: '/api/services',
    summary: 'Registered services with status, uptime, write mode, tool count and token cost',
    tags: ['services'],
    handler: async (_input, req, res) => {
      const snap = deps.collector.snapshot;
      const body = cache.get('services', String(snap.revision), () =>
        JSON.stringify({
          factory_available: snap.available,
          services: snap.services.map((s) => ({
            name: s.name,
            url: s.url,
            required: s.required,
            mcp: s.mcp,
            status: s.status,
            checked_at: s.checkedAt,
            uptime: s.uptime,
            write_mode: s.catalog?.writeMode ?? null,
            tool_count: s.catalog?.toolCount ?? null,
            tools_list_tokens: s.catalog?.tokenCost ?? null,
            probe: s.probe,
            open_incident: s.openIncident,
          })),
        }),
      );
      cache.send(req, res, body, JSON_TYPE);
    },
  });

  api.route({
    method: 'get',
    path: '/api/services/:name',
    summary: 'One service: current state, uptime over 24 h/7 d/30 d/90 d, latency history, response time over `range` (1h, 24h, 7d), dependencies, incidents, tools',
    tags: ['services'],
    params: serviceName,
    query: serviceQuery,
    handler: async ({ params, query }) => serviceDetail(deps, params.name, query.range),
  });

  api.route({
    method: 'put',
    path: '/api/services/:name/maintenance',
    summary: 'Starts (or replaces) a maintenance silence: for `minutes` the service opens no incident and counts against no uptime',
    tags: ['incidents'],
    params: serviceName,
    body: maintenanceBody,
    handler: async ({ params, body }, req) => {
      findService(deps.services, params.name);
      return maintenanceJson(await deps.collector.startMaintenance(params.name, body.minutes, body.reason, callerName(req)));
    },
  });

  api.route({
    method: 'delete',
    path: '/api/services/:name/maintenance',
    summary: "Ends a service's maintenance silence (204; 404 when it had none)",
    tags: ['incidents'],
    params: serviceName,
    handler: async ({ params }) => {
      findService(deps.services, params.name);
      if (!(await deps.collector.endMaintenance(params.name))) throw new NotFoundError('maintenance_not_found', `${params.name} is not in maintenance.`);
    },
  });

  api.route({
    method: 'get',
    path: '/api/maintenance',
    summary: 'Active maintenance silences',
    tags: ['incidents'],
    handler: async () => ({ maintenance: (await activeMaintenance(deps.db, deps.now())).map(maintenanceJson) }),
  });

  api.route({
    method: 'post',
    path: '/api/incidents/:id/acknowledge',
    summary: 'Acknowledges an open incident for the caller (idempotent: the first acknowledgement is kept)',
    tags: ['incidents'],
    params: incidentId,
    handler: async ({ params }, req: ApiRequest) => acknowledge(deps, params.id, callerName(req)),
  });

  api.route({
    method: 'get',
    path: '/api/incidents',
    summary: 'Incidents, newest first, with filters, keyset pagination (cursor) and the MTTR over the window',
    tags: ['incidents'],
    query: incidentsQuery,
    handler: async ({ query }) => queryIncidents(deps, query),
  });

  api.route({
    method: 'get',
    path: '/api/queue',
    summary: 'Memory compression queue: waiting, active, delayed and failed jobs and the oldest waiting job age',
    tags: ['queue'],
    handler: async () => deps.collector.snapshot.queue,
  });

  api.route({
    method: 'get',
    path: '/api/badges/:name.svg',
    public: true,
    summary: 'An SVG status badge for one service',
    tags: ['services'],
    params: serviceName,
    handler: async ({ params }) => {
      findService(deps.services, params.name);
      const view = deps.collector.snapshot.services.find((s) => s.name === params.name);
      const status = view?.maintenance ? 'maintenance' : (view?.status ?? 'unknown');
      return reply(200, badgeSvg(params.name, status, view?.uptime['30d'] ?? null), {
        contentType: 'image/svg+xml; charset=utf-8',
        headers: { 'Cache-Control': 'no-cache' },
      });
    },
  });
}
