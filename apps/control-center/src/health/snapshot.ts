// The dashboard/API view model, rebuilt after each sweep so page views only read memory.
import type { Kysely } from 'kysely';
import type { ServiceEntry } from '../config.js';
import type { Database, Maintenance } from '../db/schema.js';
import type { Catalog, ProbeResult } from '../catalog/mcp-catalog.js';
import type { QueueView } from '../queue/memory-queue.js';
import { mttr } from '../incidents/incident-repository.js';
import type { IncidentTracker } from '../incidents/incident-tracker.js';
import { inMaintenance } from '../incidents/maintenance.js';
import { bucketStart, uptimeByService, type UptimeWindows } from './rollups.js';
import { setupHints } from './status.js';
import type { ServicePoll } from './types.js';

export const DAY_BARS = 30;
export const SPARKLINE_MINUTES = 60;

export interface ServiceView {
  name: string;
  url: string;
  required: boolean;
  mcp: boolean;
  status: ServicePoll['status'] | 'unknown';
  live: boolean | null;
  ready: boolean | null;
  version: string | null;
  checkedAt: string | null;
  healthLatencyMs: number | null;
  readyLatencyMs: number | null;
  error: string | null;
  checks: ServicePoll['checks'];
  /** For a service that is not configured: each required dependency lacking a setting, with the setting to set. */
  setup: string[];
  /** An active maintenance silence. */
  maintenance: { endsAt: string; reason: string; by: string } | null;
  uptime: UptimeWindows;
  /** Oldest first, one per UTC day; null where nothing was measured. */
  days: Array<{ day: string; uptime: number | null; checks: number }>;
  /** Average /health latency per minute, oldest first; null where nothing was measured. */
  sparkline: Array<number | null>;
  catalog: { toolCount: number; writeMode: Catalog['writeMode']; tokenCost: number; fetchedAt: string; error: string | null } | null;
  probe: { tool: string; success: boolean; latencyMs: number | null; at: string; message: string | null } | null;
  /** `id` is null while the incident is not written to Postgres yet (the database is down). */
  openIncident: { id: string | null; status: string; dependencies: string[]; openedAt: string; cause: string; acknowledgedAt: string | null; acknowledgedBy: string | null } | null;
}

export interface Snapshot {
  /** Grows with every rebuild: cached bodies are keyed on it. */
  revision: number;
  generatedAt: string;
  lastSweepAt: string | null;
  lastSweepMs: number | null;
  /** null until the first sweep. */
  available: boolean | null;
  services: ServiceView[];
  openIncidents: number;
  mttr24h: number | null;
  mttr30d: number | null;
  /** When uptime, bars, sparklines and MTTR were last read from Postgres. */
  historyAt: string | null;
  queue: QueueView;
}

export interface SnapshotInputs {
  services: readonly ServiceEntry[];
  latest: ReadonlyMap<string, ServicePoll>;
  catalogs: ReadonlyMap<string, Catalog>;
  probes: ReadonlyMap<string, ProbeResult>;
  tracker: IncidentTracker;
  maintenance: ReadonlyMap<string, Maintenance>;
  queue: QueueView;
  lastSweep: { at: Date; ms: number } | null;
  /** Each service's last view and what it was built from (the collector keeps it across rebuilds). */
  cache?: ViewCache;
}

/** A service's view is rebuilt only when something it shows changed: a rebuild allocates in proportion to what changed, not to the fleet. */
interface CachedView {
  poll: ServicePoll | undefined;
  catalog: Catalog | undefined;
  probe: ProbeResult | undefined;
  /** The open incident's fields (the tracker updates an acknowledged incident in place). */
  incident: string;
  maintenance: Maintenance | undefined;
  history: History;
  firstDay: string;
  view: ServiceView;
}
export type ViewCache = Map<string, CachedView>;

/**
 * Whether every required service is ready. A service that is not configured, or in maintenance, does not
 * count against it (null until the first sweep).
 */
export function factoryAvailable(
  services: readonly ServiceEntry[],
  latest: ReadonlyMap<string, ServicePoll>,
  maintenance: ReadonlyMap<string, Maintenance>,
  now: Date,
): boolean | null {
  if (latest.size === 0) return null;
  return services
    .filter((s) => s.required)
    .every((s) => {
      const p = latest.get(s.name);
      return p?.ready === true || p?.status === 'not_configured' || inMaintenance(maintenance, s.name, now);
    });
}

const EMPTY_UPTIME: UptimeWindows = { '24h': null, '7d': null, '30d': null, '90d': null };

/** What the snapshot takes from Postgres: read in the background, reused while the database is down. */
export interface History {
  /** When it was read; null for the empty history of a fresh start. */
  readAt: Date | null;
  uptime: ReadonlyMap<string, UptimeWindows>;
  days: ReadonlyMap<string, ServiceView['days']>;
  sparkline: ReadonlyMap<string, ServiceView['sparkline']>;
  mttr24h: number | null;
  mttr30d: number | null;
}

export const EMPTY_HISTORY: History = { readAt: null, uptime: new Map(), days: new Map(), sparkline: new Map(), mttr24h: null, mttr30d: null };

export async function loadHistory(db: Kysely<Database>, now: Date): Promise<History> {
  const firstDay = bucketStart(new Date(now.getTime() - (DAY_BARS - 1) * 86_400_000), 'day');
  const firstMinute = bucketStart(new Date(now.getTime() - (SPARKLINE_MINUTES - 1) * 60_000), 'minute');
  const [uptime, dayRows, minuteRows, m24, m30] = await Promise.all([
    uptimeByService(db, now),
    db.selectFrom('rollups').select(['service', 'bucket', 'checks', 'successes']).where('granularity', '=', 'day').where('dependency', '=', '').where('bucket', '>=', firstDay).execute(),
    db
      .selectFrom('rollups')
      .select(['service', 'bucket', 'latency_count', 'latency_sum'])
      .where('granularity', '=', 'minute')
      .where('dependency', '=', '')
      .where('bucket', '>=', firstMinute)
      .execute(),
    mttr(db, new Date(now.getTime() - 86_400_000), now),
    mttr(db, new Date(now.getTime() - 30 * 86_400_000), now),
  ]);
  const dayLabels = Array.from({ length: DAY_BARS }, (_, i) => new Date(firstDay.getTime() + i * 86_400_000).toISOString().slice(0, 10));
  const days = new Map<string, ServiceView['days']>();
  for (const r of dayRows) {
    const idx = Math.round((new Date(r.bucket).getTime() - firstDay.getTime()) / 86_400_000);
    let d = days.get(r.service);
    if (!d) days.set(r.service, (d = dayLabels.map((day) => ({ day, uptime: null, checks: 0 }))));
    const slot = d[idx];
    if (slot && r.checks > 0) {
      slot.uptime = r.successes / r.checks;
      slot.checks = r.checks;
    }
  }
  const sparkline = new Map<string, ServiceView['sparkline']>();
  for (const r of minuteRows) {
    const idx = Math.round((new Date(r.bucket).getTime() - firstMinute.getTime()) / 60_000);
    let m = sparkline.get(r.service);
    if (!m) sparkline.set(r.service, (m = new Array<number | null>(SPARKLINE_MINUTES).fill(null)));
    if (idx >= 0 && idx < SPARKLINE_MINUTES && r.latency_count > 0) m[idx] = Math.round(r.latency_sum / r.latency_count);
  }
  return { readAt: now, uptime, days, sparkline, mttr24h: m24.mttrSeconds, mttr30d: m30.mttrSeconds };
}

const emptyDays = (now: Date): ServiceView['days'] => {
  const firstDay = bucketStart(new Date(now.getTime() - (DAY_BARS - 1) * 86_400_000), 'day');
  return Array.from({ length: DAY_BARS }, (_, i) => ({ day: new Date(firstDay.getTime() + i * 86_400_000).toISOString().slice(0, 10), uptime: null, checks: 0 }));
};
const EMPTY_SPARKLINE: ServiceView['sparkline'] = new Array<number | null>(SPARKLINE_MINUTES).fill(null);

let revisions = 0;

/** The view from memory only (latest polls, incidents, catalogs, maintenance) plus the last history read. */
export function buildSnapshot(input: SnapshotInputs, history: History, now: Date): Snapshot {
  const noDays = emptyDays(now);
  const firstDay = noDays[0]?.day ?? '';
  const services: ServiceView[] = input.services.map((s) => {
    const p = input.latest.get(s.name);
    const c = input.catalogs.get(s.name);
    const pr = input.probes.get(s.name);
    const open = input.tracker.openIncident(s.name);
    const m = inMaintenance(input.maintenance, s.name, now) ? input.maintenance.get(s.name) : undefined;
    const incident = open ? `${open.id}\u0000${open.status}\u0000${open.cause}\u0000${open.dependencies.join(',')}\u0000${String(open.opened_at)}\u0000${String(open.acknowledged_at)}\u0000${open.acknowledged_by}` : '';
    const cached = input.cache?.get(s.name);
    if (cached && cached.poll === p && cached.catalog === c && cached.probe === pr && cached.incident === incident && cached.maintenance === m && cached.history === history && cached.firstDay === firstDay) return cached.view;
    const view: ServiceView = {
      name: s.name,
      url: s.url,
      required: s.required,
      mcp: s.mcp,
      status: p?.status ?? 'unknown',
      live: p?.live ?? null,
      ready: p?.ready ?? null,
      version: p?.version ?? null,
      checkedAt: p?.checkedAt.toISOString() ?? null,
      healthLatencyMs: p?.healthLatencyMs ?? null,
      readyLatencyMs: p?.readyLatencyMs ?? null,
      error: p?.error ?? null,
      checks: p?.checks ?? {},
      setup: p?.status === 'not_configured' ? setupHints(p.checks) : [],
      maintenance: m ? { endsAt: new Date(m.ends_at).toISOString(), reason: m.reason, by: m.created_by } : null,
      uptime: history.uptime.get(s.name) ?? EMPTY_UPTIME,
      days: history.days.get(s.name) ?? noDays,
      sparkline: history.sparkline.get(s.name) ?? EMPTY_SPARKLINE,
      catalog: c ? { toolCount: c.toolCount, writeMode: c.writeMode, tokenCost: c.tokenCost, fetchedAt: c.fetchedAt.toISOString(), error: c.error } : null,
      probe: pr ? { tool: pr.tool, success: pr.success, latencyMs: pr.latencyMs, at: pr.at.toISOString(), message: pr.message } : null,
      openIncident: open
        ? {
            id: open.id === null ? null : String(open.id),
            status: open.status,
            dependencies: open.dependencies,
            openedAt: new Date(open.opened_at).toISOString(),
            cause: open.cause,
            acknowledgedAt: open.acknowledged_at ? new Date(open.acknowledged_at).toISOString() : null,
            acknowledgedBy: open.acknowledged_by,
          }
        : null,
    };
    input.cache?.set(s.name, { poll: p, catalog: c, probe: pr, incident, maintenance: m, history, firstDay, view });
    return view;
  });
  return {
    revision: ++revisions,
    generatedAt: now.toISOString(),
    lastSweepAt: input.lastSweep?.at.toISOString() ?? null,
    lastSweepMs: input.lastSweep?.ms ?? null,
    available: factoryAvailable(input.services, input.latest, input.maintenance, now),
    services,
    openIncidents: input.tracker.openCount,
    mttr24h: history.mttr24h,
    mttr30d: history.mttr30d,
    historyAt: history.readAt?.toISOString() ?? null,
    queue: input.queue,
  };
}
