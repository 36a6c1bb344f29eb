// Several control-center replicas on one Postgres and one Redis: the shared poller (who sweeps what)
// and the shared view (what every replica serves), wired for app.ts.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from '@factory/base-server';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { HealthCollector } from '../health/collector.js';
import { SharedPoller } from './shared-poller.js';
import { sharedRefreshMs, SharedView } from './shared-view.js';

export interface Replicas {
  replica: string;
  /** Undefined when POLLER_ENABLED=false: the replica only serves. */
  poller: SharedPoller | undefined;
  view: SharedView;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createReplicas(config: Config, deps: { collector: HealthCollector; db: Kysely<Database>; logger: Logger; now: () => Date }): Replicas {
  if (!config.REDIS_URL) throw new Error('POLLER_MODE=shared needs REDIS_URL (the replicas share the polling through BullMQ on it)');
  const replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const { collector, db, logger, now } = deps;
  const poller = config.POLLER_ENABLED
    ? new SharedPoller({
        redisUrl: config.REDIS_URL,
        prefix: config.POLLER_QUEUE_PREFIX,
        shards: config.POLL_SHARDS,
        services: config.SERVICES,
        db,
        collector,
        logger,
        replica,
        intervalMs: config.POLL_INTERVAL_MS,
        catalogIntervalMs: config.CATALOG_INTERVAL_MS,
        probeIntervalMs: config.PROBE_INTERVAL_MS,
      })
    : undefined;
  const view = new SharedView({ db, collector, services: config.SERVICES, replica, refreshMs: sharedRefreshMs(config.POLL_INTERVAL_MS), logger, now });
  return {
    replica,
    poller,
    view,
    async start() {
      await view.refresh();
      view.start();
      await poller?.start();
      logger.info({ replica, shards: config.POLL_SHARDS, polling: !!poller }, 'control center replica: polling shared through Redis, view read from Postgres');
    },
    async stop() {
      await poller?.stop();
      await view.stop();
    },
  };
}
