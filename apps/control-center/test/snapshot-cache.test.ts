// The snapshot rebuilt with its view cache: a service's view is reused while nothing it shows changed,
// and rebuilt as soon as its poll, incident (also an acknowledgement made in place) or history changes.
// And the collector builds it on demand: changes nobody reads cost nothing until the next read.
import { describe, expect, it } from '@jest/globals';
import type { Incident } from '../src/db/schema.js';
import { buildSnapshot, EMPTY_HISTORY, type SnapshotInputs, type ViewCache } from '../src/health/snapshot.js';
import type { ServicePoll } from '../src/health/types.js';
import { IncidentTracker } from '../src/incidents/incident-tracker.js';
import { buildControlCenter, services as servicesJson } from './helpers.js';

const now = new Date('2026-03-10T12:00:00.000Z');
const services = ['a', 'b', 'c'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, required: true, mcp: false, sharedApiKey: false }));
const poll = (service: string, ms: number, ready = true): ServicePoll => ({
  service,
  checkedAt: new Date(now.getTime() + ms),
  live: true,
  ready,
  status: ready ? 'up' : 'not_ready',
  healthLatencyMs: 3,
  readyLatencyMs: 4,
  version: '1',
  error: null,
  checks: {},
});
const incident: Incident = { id: '7', service: 'c', dependency: null, opened_at: now, resolved_at: null, cause: 'not ready', status: 'not_ready', dependencies: [], acknowledged_at: null, acknowledged_by: null };

function inputs(cache: ViewCache, tracker: IncidentTracker, latest: Map<string, ServicePoll>): SnapshotInputs {
  return {
    services,
    latest,
    catalogs: new Map(),
    probes: new Map(),
    tracker,
    maintenance: new Map(),
    queue: { configured: false, queue: 'q', checkedAt: null, waiting: null, active: null, delayed: null, failed: null, oldestWaitingAgeSeconds: null, error: null },
    lastSweep: null,
    cache,
  };
}

describe('snapshot view cache', () => {
  it('reuses unchanged views and rebuilds the ones whose poll, incident or history changed', () => {
    const cache: ViewCache = new Map();
    const tracker = new IncidentTracker(2);
    tracker.adopt(['c'], new Map([['c', incident]]));
    const latest = new Map(['a', 'b', 'c'].map((s) => [s, poll(s, 0, s !== 'c')]));
    const first = buildSnapshot(inputs(cache, tracker, latest), EMPTY_HISTORY, now);

    latest.set('b', poll('b', 1_000, false));
    const second = buildSnapshot(inputs(cache, tracker, latest), EMPTY_HISTORY, now);
    expect(second.services.map((v, i) => v === first.services[i])).toEqual([true, false, true]);
    expect(second.services[1]).toMatchObject({ name: 'b', ready: false, checkedAt: new Date(now.getTime() + 1_000).toISOString() });

    // Acknowledged in place (IncidentTracker.acknowledge): the view shows it.
    const open = tracker.openIncident('c');
    if (open) Object.assign(open, { acknowledged_at: new Date(now.getTime() + 2_000), acknowledged_by: 'ops' });
    const third = buildSnapshot(inputs(cache, tracker, latest), EMPTY_HISTORY, now);
    expect(third.services.map((v, i) => v === second.services[i])).toEqual([true, true, false]);
    expect(third.services[2]?.openIncident).toMatchObject({ id: '7', acknowledgedBy: 'ops' });

    // A new history read rebuilds every view.
    const history = { ...EMPTY_HISTORY, readAt: now, uptime: new Map([['a', { '24h': 0.5, '7d': null, '30d': null, '90d': null }]]) };
    const fourth = buildSnapshot(inputs(cache, tracker, latest), history, now);
    expect(fourth.services.map((v, i) => v === third.services[i])).toEqual([false, false, false]);
    expect(fourth.services[0]?.uptime['24h']).toBe(0.5);
  });
});

describe('the collector snapshot on demand', () => {
  it('rebuilds at once while it is read, and after changes nobody read only once, at the next read, showing all of them', async () => {
    const cc = await buildControlCenter({ SERVICES: servicesJson(['a', 'b'].map((name) => ({ name, url: `http://127.0.0.1:1/${name}`, mcp: false }))) });
    await cc.service.start();
    try {
      const first = cc.collector.snapshot;
      // Read since it was built: this change rebuilds it now.
      await cc.collector.startMaintenance('a', 10, 'patching', 'ops');
      // Not read since: these two only mark it stale.
      await cc.collector.startMaintenance('b', 10, 'patching', 'ops');
      await cc.collector.endMaintenance('a');
      const next = cc.collector.snapshot;
      expect(next.revision).toBe(first.revision + 2);
      expect(next.services.map((v) => [v.name, v.maintenance?.reason ?? null])).toEqual([
        ['a', null],
        ['b', 'patching'],
      ]);
      // Nothing changed since: the same snapshot.
      expect(cc.collector.snapshot).toBe(next);
    } finally {
      await cc.service.stop();
    }
  });
});
