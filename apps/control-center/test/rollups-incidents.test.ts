import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDatabase, createLogger, type Database as DatabaseHandle } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import type { Database } from '../src/db/schema.js';
import { migrations } from '../src/db/migrations.js';
import { SERVICE_NAME } from '../src/app.js';
import { bucketStart, p95FromHistogram, pruneOldData, recordObservations, rollupSeries, uptimeByService, type Observation } from '../src/health/rollups.js';
import { IncidentTracker, type HealthSignal } from '../src/incidents/incident-tracker.js';
import { listIncidents, mttr, mttrWindows } from '../src/incidents/incident-repository.js';
import { PG_URL } from './helpers.js';

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
let database: DatabaseHandle<Database>;
const schema = uniqueSchema('cc_rollups');

beforeAll(async () => {
  database = await createDatabase<Database>({ url: PG_URL, schema, logger });
  await database.migrate(migrations, SERVICE_NAME);
});
afterAll(async () => {
  await database.close();
  await dropSchema(PG_URL, schema);
});
beforeEach(async () => {
  await sql`truncate check_results, rollups, incidents, maintenance`.execute(database.db);
});

const T0 = new Date('2026-03-10T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const obs = (o: Partial<Observation> & { at: Date }): Observation => ({ service: 'svc', dependency: '', success: true, status: 'up', latencyMs: 10, message: null, ...o });

describe('rollups', () => {
  it('aggregates checks, successes, average and p95 latency per minute, hour and day', async () => {
    // 20 checks in one minute: 19 successes at 8 ms, one failure at 700 ms.
    const batch = Array.from({ length: 20 }, (_, i) =>
      obs({ at: at(i * 1000), success: i !== 7, status: i === 7 ? 'down' : 'up', latencyMs: i === 7 ? 700 : 8 }),
    );
    // Sweeps write one observation per service at a time; record them as separate sweeps.
    for (const o of batch) await recordObservations(database.db, [o]);
    for (const g of ['minute', 'hour', 'day'] as const) {
      const [row] = await rollupSeries(database.db, g, bucketStart(T0, g), { service: 'svc', dependency: '' });
      expect(row).toMatchObject({ checks: 20, successes: 19, uptime: 0.95, latencyAvgMs: Math.round((19 * 8 + 700) / 20) });
      // 95 % of 20 = 19 samples are in the ≤ 10 ms bucket.
      expect(row?.latencyP95Ms).toBe(10);
    }
    const raw = await database.db.selectFrom('check_results').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(Number(raw.n)).toBe(20);
  });

  it('starts a new bucket at each minute, hour and UTC day boundary', async () => {
    await recordObservations(database.db, [obs({ at: new Date('2026-03-10T23:59:59.000Z') })]);
    await recordObservations(database.db, [obs({ at: new Date('2026-03-11T00:00:00.000Z'), success: false })]);
    const days = await rollupSeries(database.db, 'day', new Date('2026-03-01T00:00:00Z'), { service: 'svc' });
    expect(days.map((d) => [d.bucket, d.checks, d.successes])).toEqual([
      ['2026-03-10T00:00:00.000Z', 1, 1],
      ['2026-03-11T00:00:00.000Z', 1, 0],
    ]);
    const minutes = await rollupSeries(database.db, 'minute', new Date('2026-03-10T00:00:00Z'), { service: 'svc' });
    expect(minutes.map((m) => m.bucket)).toEqual(['2026-03-10T23:59:00.000Z', '2026-03-11T00:00:00.000Z']);
  });

  it('p95 is the upper bound of the histogram bucket holding the 95th percentile', () => {
    expect(p95FromHistogram([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBeNull();
    expect(p95FromHistogram([100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(5);
    expect(p95FromHistogram([90, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0])).toBe(100);
    expect(p95FromHistogram([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3])).toBe(10_000);
  });

  it('computes uptime over 24 h, 7 d, 30 d and 90 d from the rollups', async () => {
    const now = new Date('2026-03-31T12:00:00.000Z');
    // Today: 10 checks, 9 up. 10 days ago: 10 checks, all down. 60 days ago: 10 checks, all up.
    const rows: Observation[] = [];
    for (let i = 0; i < 10; i++) rows.push(obs({ at: new Date(now.getTime() - 3_600_000 + i * 1000), success: i !== 0 }));
    for (let i = 0; i < 10; i++) rows.push(obs({ at: new Date(now.getTime() - 10 * 86_400_000 + i * 1000), success: false }));
    for (let i = 0; i < 10; i++) rows.push(obs({ at: new Date(now.getTime() - 60 * 86_400_000 + i * 1000), success: true }));
    for (const r of rows) await recordObservations(database.db, [r]);
    const u = (await uptimeByService(database.db, now)).get('svc');
    expect(u).toEqual({ '24h': 0.9, '7d': 0.9, '30d': 9 / 20, '90d': 19 / 30 });
  });

  it('prunes raw results past the retention window but keeps the rollups', async () => {
    await recordObservations(database.db, [obs({ at: at(0) })]);
    await recordObservations(database.db, [obs({ at: at(3 * 3_600_000) })]);
    await pruneOldData(database.db, at(3 * 3_600_000), { rawHours: 2 });
    const raw = await database.db.selectFrom('check_results').select('checked_at').execute();
    expect(raw.map((r) => new Date(r.checked_at).toISOString())).toEqual([at(3 * 3_600_000).toISOString()]);
    const hours = await rollupSeries(database.db, 'hour', at(-86_400_000), { service: 'svc' });
    expect(hours).toHaveLength(2);
  });
});

describe('incidents and MTTR', () => {
  // Detection is in memory; each test writes what the tracker decided, as the collector does after a sweep.
  const observed = async (tracker: IncidentTracker, signals: Parameters<IncidentTracker['observe']>[0]) => {
    const changes = tracker.observe(signals);
    await tracker.flush(database.db);
    return changes;
  };
  type Failure = NonNullable<HealthSignal['failure']>;
  const down: Failure = { status: 'not_ready', cause: 'database check failed: database is unreachable', dependencies: ['database'] };
  const signal = (failure: Failure | null, t: number, service = 'svc', silenced = false): HealthSignal => ({ service, at: at(t), failure, silenced });

  it('opens an incident only after the configured number of failing sweeps, dated at the first failure', async () => {
    const tracker = new IncidentTracker(3);
    await tracker.load(database.db);
    expect((await observed(tracker, [signal(down, 0)])).opened).toHaveLength(0);
    expect((await observed(tracker, [signal(down, 15_000)])).opened).toHaveLength(0);
    const third = await observed(tracker, [signal(down, 30_000)]);
    expect(third.opened).toHaveLength(1);
    expect(new Date(third.opened[0]!.opened_at).toISOString()).toBe(at(0).toISOString());
    expect(third.opened[0]).toMatchObject({ service: 'svc', status: 'not_ready', dependencies: ['database'], cause: down.cause, resolved_at: null, acknowledged_at: null });
    // A fourth failing sweep does not open a second incident.
    expect((await observed(tracker, [signal(down, 45_000)])).opened).toHaveLength(0);
  });

  it('does not open an incident when a failure streak is broken by a success', async () => {
    const tracker = new IncidentTracker(2);
    await observed(tracker, [signal(down, 0)]);
    await observed(tracker, [signal(null, 15_000)]);
    const r = await observed(tracker, [signal(down, 30_000)]);
    expect(r.opened).toHaveLength(0);
    expect((await listIncidents(database.db, { limit: 10 })).incidents).toHaveLength(0);
  });

  it('keeps one incident per service outage, gathering every failing dependency and updating its cause while open', async () => {
    const tracker = new IncidentTracker(1);
    const both: Failure = { status: 'not_ready', cause: 'aws_connectivity check failed: timeout', dependencies: ['aws_connectivity', 'ecs_permissions'] };
    const opened = await observed(tracker, [signal(both, 0)]);
    expect(opened.opened).toHaveLength(1);
    // The failure changes: the service is now down. Same incident, cause and status updated, dependencies kept.
    const changed = await observed(tracker, [signal({ status: 'down', cause: '/health refused the connection: is the service running?', dependencies: [] }, 15_000)]);
    expect(changed.opened).toHaveLength(0);
    expect(changed.updated).toHaveLength(1);
    // An unchanged failure writes nothing.
    expect((await observed(tracker, [signal({ status: 'down', cause: '/health refused the connection: is the service running?', dependencies: [] }, 30_000)])).updated).toHaveLength(0);
    const { incidents } = await listIncidents(database.db, { limit: 10 });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ status: 'down', cause: '/health refused the connection: is the service running?', dependencies: ['aws_connectivity', 'ecs_permissions'] });
    expect((await listIncidents(database.db, { limit: 10, dependency: 'ecs_permissions' })).incidents).toHaveLength(1);
    expect((await listIncidents(database.db, { limit: 10, dependency: 'database' })).incidents).toHaveLength(0);
  });

  it('resolves on the first successful sweep and computes MTTR as the mean repair time in the window', async () => {
    const tracker = new IncidentTracker(1);
    // Incident A: 0 → 60 s. Incident B: 100 s → 400 s.
    await observed(tracker, [signal(down, 0)]);
    const a = await observed(tracker, [signal(null, 60_000)]);
    expect(a.resolved).toHaveLength(1);
    await observed(tracker, [signal(down, 100_000)]);
    await observed(tracker, [signal(null, 400_000)]);
    const m = await mttr(database.db, at(0), at(3_600_000));
    expect(m).toEqual({ resolved: 2, mttrSeconds: 180 });
    // A window that holds only the second resolution.
    expect(await mttr(database.db, at(100_000), at(3_600_000))).toEqual({ resolved: 1, mttrSeconds: 300 });
    // An empty window.
    expect(await mttr(database.db, at(3_600_000), at(7_200_000))).toEqual({ resolved: 0, mttrSeconds: null });
    // Several windows ending now in one query: the last day, the last 3500 s, and a window with nothing.
    expect(await mttrWindows(database.db, at(3_600_000), [1, 3_500 / 86_400, 1 / 86_400])).toEqual([
      { resolved: 2, mttrSeconds: 180 },
      { resolved: 1, mttrSeconds: 300 },
      { resolved: 0, mttrSeconds: null },
    ]);
  });

  it('opens no incident for a service in maintenance, and resolves one that was already open', async () => {
    const tracker = new IncidentTracker(1);
    expect((await observed(tracker, [signal(down, 0, 'quiet', true)])).opened).toHaveLength(0);
    expect((await observed(tracker, [signal(down, 15_000, 'quiet', true)])).opened).toHaveLength(0);
    await observed(tracker, [signal(down, 0, 'loud')]);
    const r = await observed(tracker, [signal(down, 15_000, 'loud', true), signal(null, 30_000, 'quiet', true)]);
    expect(r.opened).toHaveLength(0);
    expect((await observed(tracker, [signal(null, 30_000, 'loud', true)])).resolved.map((i) => i.service)).toEqual(['loud']);
    expect((await listIncidents(database.db, { limit: 10 })).incidents.map((i) => i.service)).toEqual(['loud']);
  });

  it('acknowledges an open incident once, never a resolved one, and a new tracker resumes open incidents from Postgres', async () => {
    const first = new IncidentTracker(1);
    const { opened } = await observed(first, [signal(down, 0, 'a'), signal(down, 0, 'b')]);
    const [a, b] = opened;
    const acked = await first.acknowledge(database.db, a!.id!, 'alice', at(5_000));
    expect(acked).toMatchObject({ acknowledged_by: 'alice' });
    expect(await first.acknowledge(database.db, a!.id!, 'bob', at(6_000))).toMatchObject({ acknowledged_by: 'alice' });
    expect(first.openIncident('a')).toMatchObject({ acknowledged_by: 'alice' });
    await observed(first, [signal(null, 10_000, 'b')]);
    expect(await first.acknowledge(database.db, b!.id!, 'bob', at(11_000))).toMatchObject({ acknowledged_at: null });
    expect((await listIncidents(database.db, { limit: 10, state: 'acknowledged' })).incidents.map((i) => i.service)).toEqual(['a']);
    expect((await listIncidents(database.db, { limit: 10, state: 'unacknowledged' })).incidents).toHaveLength(0);

    const second = new IncidentTracker(1);
    await second.load(database.db);
    expect(second.openIncident('a')).toBeDefined();
    expect(second.openIncident('b')).toBeUndefined();
    const r = await observed(second, [signal(null, 90_000, 'a')]);
    expect(r.resolved.map((i) => i.service)).toEqual(['a']);
  });

  it('writes what it tracked while Postgres was down in one flush: openings, changes and resolutions in order, one incident per outage', async () => {
    const tracker = new IncidentTracker(1);
    const queueDown: Failure = { status: 'not_ready', cause: 'queue check failed: no answer', dependencies: ['queue'] };
    // Nothing is written between these sweeps: the outage opens, changes twice, ends, and a second one opens.
    const [first] = tracker.observe([signal(down, 0, 'w')]).opened;
    expect(tracker.observe([signal(queueDown, 15_000, 'w')]).updated).toHaveLength(1);
    tracker.observe([signal({ ...queueDown, status: 'down', cause: 'w is down', dependencies: [] }, 30_000, 'w')]);
    tracker.observe([signal(null, 45_000, 'w')]);
    const [second] = tracker.observe([signal(down, 60_000, 'w')]).opened;
    expect(tracker.unwritten).toBe(5);
    expect(first?.id).toBeNull();
    await tracker.flush(database.db);
    expect(tracker.unwritten).toBe(0);
    const rows = await database.db.selectFrom('incidents').selectAll().where('service', '=', 'w').orderBy(sql`id::bigint`).execute();
    expect(rows.map((r) => [r.status, r.cause, r.dependencies, new Date(r.opened_at).toISOString(), r.resolved_at && new Date(r.resolved_at).toISOString()])).toEqual([
      ['down', 'w is down', ['database', 'queue'], at(0).toISOString(), at(45_000).toISOString()],
      ['not_ready', down.cause, ['database'], at(60_000).toISOString(), null],
    ]);
    // The ids of both openings are known in memory once written.
    expect([first?.id, second?.id]).toEqual(rows.map((r) => String(r.id)));
    expect(tracker.openIncident('w')?.id).toBe(String(rows[1]?.id));
  });

  it('lists incidents newest first with filters and cursor pagination', async () => {
    const tracker = new IncidentTracker(1);
    for (let i = 0; i < 5; i++) {
      await observed(tracker, [signal(down, i * 100_000, `s${i % 2}`)]);
      if (i < 4) await observed(tracker, [signal(null, i * 100_000 + 50_000, `s${i % 2}`)]);
    }
    const page1 = await listIncidents(database.db, { limit: 2 });
    expect(page1.incidents).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await listIncidents(database.db, { limit: 2, before: page1.nextCursor ?? undefined });
    const page3 = await listIncidents(database.db, { limit: 2, before: page2.nextCursor ?? undefined });
    expect(page3.nextCursor).toBeNull();
    const all = [...page1.incidents, ...page2.incidents, ...page3.incidents];
    expect(all).toHaveLength(5);
    expect(all.map((i) => new Date(i.opened_at).getTime())).toEqual([...all.map((i) => new Date(i.opened_at).getTime())].sort((x, y) => y - x));
    expect((await listIncidents(database.db, { limit: 10, service: 's0' })).incidents).toHaveLength(3);
    expect((await listIncidents(database.db, { limit: 10, state: 'open' })).incidents.map((i) => i.service)).toEqual(['s0']);
    expect((await listIncidents(database.db, { limit: 10, state: 'resolved' })).incidents).toHaveLength(4);
  });
});

describe('migration 20261201_0002_service_incidents', () => {
  const migrationSchema = uniqueSchema('cc_migrate');
  afterAll(async () => {
    await dropSchema(PG_URL, migrationSchema);
  });

  it('folds the open per-dependency incidents of one service into one incident and keeps the resolved ones', async () => {
    const old = await createDatabase<Database>({ url: PG_URL, schema: migrationSchema, logger });
    try {
      const first = migrations['20261122_0001_initial']!;
      await old.migrate({ '20261122_0001_initial': first }, SERVICE_NAME);
      const row = (service: string, dependency: string | null, openedMs: number, resolvedMs: number | null) =>
        sql`insert into incidents (service, dependency, opened_at, resolved_at, cause) values (${service}, ${dependency}, ${at(openedMs)}, ${resolvedMs === null ? null : at(resolvedMs)}, ${'old cause'})`.execute(old.db);
      await row('deploy-mcp', null, 1_000, null);
      await row('deploy-mcp', 'aws_connectivity', 0, null);
      await row('deploy-mcp', 'ecs_permissions', 2_000, null);
      await row('memory', 'queue', 0, 60_000);
      await old.migrate(migrations, SERVICE_NAME);
      const rows = await old.db.selectFrom('incidents').selectAll().orderBy('service').execute();
      expect(rows.map((r) => [r.service, r.resolved_at === null ? 'open' : 'resolved', [...r.dependencies].sort()])).toEqual([
        ['deploy-mcp', 'open', ['aws_connectivity', 'ecs_permissions']],
        ['memory', 'resolved', ['queue']],
      ]);
      // The kept one is the oldest: the outage started with the first failure.
      expect(new Date(rows[0]!.opened_at).toISOString()).toBe(at(0).toISOString());
      // Only one open incident per service from now on.
      await expect(sql`insert into incidents (service, opened_at, cause) values ('deploy-mcp', now(), 'x')`.execute(old.db)).rejects.toThrow(/incidents_one_open_per_service/);
    } finally {
      await old.close();
    }
  });
});
