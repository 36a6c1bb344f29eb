// The control center's own Prometheus gauges, registered on the service's registry.
import { Counter, Gauge, type ServiceMetrics } from '@factory/base-server';
import type { HealthCollector } from '../health/collector.js';

export interface FactoryGauges {
  update(available: boolean | null, mttrSeconds: number | null): void;
}

export function createFactoryGauges(metrics: ServiceMetrics): FactoryGauges {
  const registers = [metrics.registry];
  const availability = new Gauge({ name: 'factory_availability', help: '1 when every required Factory service is ready in the latest sweep, else 0', registers });
  const mttr = new Gauge({ name: 'mttr_seconds', help: 'Mean time to recovery of incidents resolved in the last 30 days', registers });
  return {
    update(available, mttrSeconds) {
      if (available !== null) availability.set(available ? 1 : 0);
      if (mttrSeconds !== null) mttr.set(mttrSeconds);
    },
  };
}

/** Read at scrape time from the collector's fields, so a stuck sweep cannot hold them back. */
export function registerCollectorMetrics(metrics: ServiceMetrics, collector: HealthCollector): void {
  const registers = [metrics.registry];
  // Per service, from the latest poll of each (this replica's or adopted from the others): set at scrape
  // time, not after every sweep or shard, which cost each replica work in proportion to the whole fleet
  // several times an interval (and left only the last shard's dependencies after a reset).
  new Gauge({
    name: 'service_ready',
    help: '1 when the service answered /ready with ready: true in the latest sweep',
    labelNames: ['service'],
    registers,
    collect() {
      this.reset();
      for (const p of collector.latest.values()) this.set({ service: p.service }, p.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'dependency_check_success',
    help: '1 when the dependency check passed (ok or warning) in the latest sweep',
    labelNames: ['service', 'dependency'],
    registers,
    collect() {
      this.reset();
      for (const p of collector.latest.values()) for (const [dep, c] of Object.entries(p.checks)) this.set({ service: p.service, dependency: dep }, c.success ? 1 : 0);
    },
  });
  new Gauge({
    name: 'dependency_check_latency_seconds',
    help: 'Latency the service reported for the dependency check in the latest sweep',
    labelNames: ['service', 'dependency'],
    registers,
    collect() {
      this.reset();
      for (const p of collector.latest.values()) {
        for (const [dep, c] of Object.entries(p.checks)) if (c.latency_ms !== null) this.set({ service: p.service, dependency: dep }, c.latency_ms / 1000);
      }
    },
  });
  new Gauge({
    name: 'factory_last_sweep_age_seconds',
    help: 'Seconds since the last completed sweep (since the poller started, before the first one)',
    registers,
    collect() {
      this.set(collector.scheduled ? collector.watchdog.ageSeconds() : 0);
    },
  });
  new Gauge({
    name: 'factory_unwritten_observations',
    help: 'Sweep results held in memory because Postgres has not taken them yet',
    registers,
    collect() {
      this.set(collector.backlog.observations);
    },
  });
  let reported = 0;
  new Counter({
    name: 'factory_dropped_observations_total',
    help: 'Sweep results dropped because Postgres was down longer than the buffer holds (POLL_BUFFER_OBSERVATIONS)',
    registers,
    collect() {
      const now = collector.droppedObservations + collector.tracker.dropped;
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
}
