// JSON API of the control center. Every read comes from the collector's snapshot or from Postgres;
// no request ever triggers a check or names a URL to fetch.
import type { Kysely } from 'kysely';
import { NotFoundError, reply, ServiceUnavailableError, z, type RestApi, type Service } from '@factory/base-server';
import type { ServiceEntry } from '../config.js';
import type { Database } from '../db/schema.js';
import type { HealthCollector } from '../health/collector.js';
import { rollupSeries } from '../health/rollups.js';
import { incidentJson, listIncidents, mttr, mttrWindows } from '../incidents/incident-repository.js';
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
  state: z.enum(['open', 'resolved']).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d{1,19}$/, 'a cursor from a previous page').optional(),
});
export type IncidentsQuery = z.output<typeof incidentsQuery>;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);

/** True for errors that mean Postgres cannot be reached (not a bad query): refused, reset, timed out, shutting down. */
export function isDatabaseOutage(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(message);
}

/** Runs a read from Postgres; while the database is down the request answers 503 with Retry-After. */
export async function fromDatabase<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isDatabaseOutage(err)) {
      throw new ServiceUnavailableError('database_unavailable', 'database unavailable, retry shortly', { cause: err, headers: { 'Retry-After': '5' } });
    }
    throw err;
  }
}

export function findService(services: readonly ServiceEntry[], name: string): ServiceEntry {
  const s = services.find((x) => x.name === name);
  if (!s) throw new NotFoundError('service_not_found', `No registered service is named "${name}". GET /api/services lists them.`);
  return s;
}

export function queryIncidents(deps: ApiDeps, q: IncidentsQuery) {
  return fromDatabase(() => readIncidents(deps, q));
}

async function readIncidents(deps: ApiDeps, q: IncidentsQuery) {
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

export function serviceDetail(deps: ApiDeps, name: string) {
  const entry = findService(deps.services, name);
  return fromDatabase(() => readServiceDetail(deps, name, entry));
}

async function readServiceDetail(deps: ApiDeps, name: string, entry: ServiceEntry) {
  const now = deps.now();
  const view = deps.collector.snapshot.services.find((s) => s.name === name);
  const day = 86_400_000;
  const [hourly, daily, deps24h, recent, incidents, mttrs] = await Promise.all([
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
    summary: 'One service: current state, uptime over 24 h/7 d/30 d/90 d, latency history, dependencies, incidents, tools',
    tags: ['services'],
    params: serviceName,
    handler: async ({ params }) => serviceDetail(deps, params.name),
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
      return reply(200, badgeSvg(params.name, view?.status ?? 'unknown', view?.uptime['30d'] ?? null), {
        contentType: 'image/svg+xml; charset=utf-8',
        headers: { 'Cache-Control': 'no-cache' },
      });
    },
  });
}
