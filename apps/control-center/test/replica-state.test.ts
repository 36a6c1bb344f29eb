// What replicas share in Postgres, with two connection pools standing for two replicas: concurrent
// openings of one service's incident leave one open incident (the unique index, not timing), streaks
// and open incidents are adopted by the next replica to sweep, and the shared view reads only what the
// others wrote.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { createDatabase, createLogger, type Database as DatabaseHandle } from '@factory/base-server';
import { dropSchema, uniqueSchema } from '@factory/base-server/testing';
import type { Database } from '../src/db/schema.js';
import { migrations } from '../src/db/migrations.js';
import { SERVICE_NAME } from '../src/app.js';
import type { ServicePoll } from '../src/health/types.js';
import { IncidentTracker, type HealthSignal } from '../src/incidents/incident-tracker.js';
import { openIncidents, writeIncidentEvents } from '../src/incidents/incident-repository.js';
import { readSharedStates, readStreaks, writeSweptStates } from '../src/replicas/service-state.js';
import { shardsOf, shardsPerReplica } from '../src/replicas/shards.js';
import { PG_URL } from './helpers.js';

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
const schema = uniqueSchema('cc_repstate');
let a: DatabaseHandle<Database>;
let b: DatabaseHandle<Database>;

beforeAll(async () => {
  a = await createDatabase<Database>({ url: PG_URL, schema, logger });
  await a.migrate(migrations, SERVICE_NAME);
  b = await createDatabase<Database>({ url: PG_URL, schema, logger });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await dropSchema(PG_URL, schema);
});
beforeEach(async () => {
  await sql`truncate incidents, service_state`.execute(a.db);
});

const T0 = new Date('2026-03-10T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const down = (service: string, ms: number): HealthSignal => ({ service, at: at(ms), silenced: false, failure: { status: 'down', cause: 'connection refused', dependencies: [] } });
const up = (service: string, ms: number): HealthSignal => ({ service, at: at(ms), silenced: false, failure: null });
const poll = (service: string, ms: number): ServicePoll => ({ service, checkedAt: at(ms), live: true, ready: true, status: 'up', healthLatencyMs: 3, readyLatencyMs: 4, version: '1', error: null, checks: {} });

describe('incidents written by several replicas at once', () => {
  it('opens one incident when two replicas open the same outage concurrently, and resolves it once', async () => {
    const open = { kind: 'open' as const, service: 'svc', at: at(0), status: 'down' as const, cause: 'down', dependencies: [] };
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => writeIncidentEvents(i % 2 ? a.db : b.db, [open])));
    expect(ids.flat().filter((id) => id !== null)).toHaveLength(1);
    expect(await openIncidents(a.db)).toHaveLength(1);
    await Promise.all([writeIncidentEvents(a.db, [{ kind: 'resolve', service: 'svc', at: at(5_000) }]), writeIncidentEvents(b.db, [{ kind: 'resolve', service: 'svc', at: at(6_000) }])]);
    const rows = await a.db.selectFrom('incidents').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect([at(5_000).getTime(), at(6_000).getTime()]).toContain(new Date(rows[0]?.resolved_at ?? 0).getTime());
  });

  it('counts failing sweeps by different replicas as consecutive: the second replica opens the incident, the third resolves it', async () => {
    const first = new IncidentTracker(2);
    first.observe([down('svc', 0)]);
    await writeSweptStates(a.db, [{ poll: poll('svc', 0), streak: first.streakOf('svc') }], 'replica-a');

    const second = new IncidentTracker(2);
    second.adopt(['svc'], new Map(), await readStreaks(b.db, ['svc']));
    const opened = second.observe([down('svc', 1_000)]).opened;
    expect(opened.map((i) => ({ service: i.service, opened_at: i.opened_at }))).toEqual([{ service: 'svc', opened_at: at(0) }]);
    await second.flush(b.db);

    const third = new IncidentTracker(2);
    const open = await openIncidents(a.db, ['svc']);
    third.adopt(['svc'], new Map(open.map((i) => [i.service, i])), await readStreaks(a.db, ['svc']));
    expect(third.observe([up('svc', 2_000)]).resolved).toHaveLength(1);
    await third.flush(a.db);
    expect(await openIncidents(a.db)).toEqual([]);
    expect(await a.db.selectFrom('incidents').selectAll().execute()).toHaveLength(1);
  });
});

describe('shared service state', () => {
  it('gives a replica the polls the others wrote, and only those written since its last read', async () => {
    await writeSweptStates(a.db, [{ poll: poll('one', 0), streak: undefined }], 'replica-a');
    await writeSweptStates(b.db, [{ poll: poll('two', 0), streak: undefined }], 'replica-b');
    const first = await readSharedStates(a.db, null, 'replica-a');
    expect(first.states.map((s) => [s.service, s.poll?.checkedAt])).toEqual([['two', at(0)]]);
    // Nothing new; a row is only read again while a transaction older than it still runs somewhere in
    // the cluster (this Postgres is shared), and then unchanged.
    const unchanged = (r: Awaited<ReturnType<typeof readSharedStates>>) => r.states.every((s) => s.service === 'two' && s.poll?.checkedAt.getTime() === at(0).getTime());
    const second = await readSharedStates(a.db, first.horizon, 'replica-a');
    expect(unchanged(second)).toBe(true);
    await writeSweptStates(b.db, [{ poll: poll('two', 1_000), streak: undefined }], 'replica-b');
    const third = await readSharedStates(a.db, second.horizon, 'replica-a');
    expect(third.states.map((s) => s.poll?.checkedAt)).toEqual([at(1_000)]);
  });

  it('does not miss a row whose transaction was still running during a read: the next read returns it', async () => {
    const before = await readSharedStates(a.db, null, 'replica-a');
    let during: Awaited<ReturnType<typeof readSharedStates>> | undefined;
    await b.db.transaction().execute(async (trx) => {
      await writeSweptStates(trx, [{ poll: poll('late', 0), streak: undefined }], 'replica-b');
      // Written (with its transaction id) but not committed while replica a reads.
      during = await readSharedStates(a.db, before.horizon, 'replica-a');
    });
    expect(during?.states).toEqual([]);
    const after = await readSharedStates(a.db, during?.horizon ?? null, 'replica-a');
    expect(after.states.map((s) => s.service)).toEqual(['late']);
  });

  it('cuts the registry into shards differing by at most one, and splits them evenly over the replicas', () => {
    const services = Array.from({ length: 2000 }, (_, i) => ({ name: `s${i}`, url: 'http://127.0.0.1:1', required: true, mcp: false, sharedApiKey: false }));
    const sizes = shardsOf(services, 12).map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(2000);
    expect([1, 2, 3, 4, 5].map((n) => shardsPerReplica(12, n))).toEqual([12, 6, 4, 3, 3]);
    expect(shardsPerReplica(12, 0)).toBe(12);
  });
});
