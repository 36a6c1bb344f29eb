// One control-center replica polling FLEET_SIZE simulated services (FLEET_URL/s/<i>), in shared mode
// (POLLER_MODE=shared: BullMQ on REDIS_URL, schema SCHEMA, prefix PREFIX) or alone (POLLER_MODE=local).
// Answers 'stats' with its CPU time so far (process.cpuUsage) and the sweeps it ran.
import { parseControlCenterConfig } from '../../apps/control-center/dist/config.js';
import { createControlCenter } from '../../apps/control-center/dist/app.js';
import { createLogger } from '@factory/base-server';

const count = Number(process.env.FLEET_SIZE ?? 2000);
const services = Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, url: `${process.env.FLEET_URL}/s/${i}`, mcp: false }));
const config = parseControlCenterConfig({
  PORT: '0',
  LOG_LEVEL: 'silent',
  DATABASE_URL: process.env.DATABASE_URL,
  REDIS_URL: process.env.REDIS_URL,
  POLLER_MODE: process.env.POLLER_MODE,
  POLLER_QUEUE_PREFIX: process.env.PREFIX,
  POLL_SHARDS: process.env.POLL_SHARDS ?? '12',
  POLLER_ENABLED: process.env.POLLER_ENABLED ?? 'true',
  POLL_INTERVAL_MS: process.env.POLL_INTERVAL_MS ?? '10000',
  POLL_JITTER: '0',
  SERVICES: JSON.stringify(services),
});
const cc = await createControlCenter(config, { schema: process.env.SCHEMA, logger: createLogger({ service: 'bench', version: '0', level: 'silent' }) });
const sweeps = [];
const { port } = await cc.service.start();
if (cc.replicas?.poller) cc.replicas.poller.onSwept = (s) => sweeps.push(s);
else {
  // One process: its own sweeps, timed the same way (scheduled = started: nothing waits for a job).
  let n = cc.collector.appliedSweeps;
  setInterval(() => {
    if (cc.collector.appliedSweeps === n) return;
    n = cc.collector.appliedSweeps;
    const s = cc.collector.snapshot;
    if (s.lastSweepAt) sweeps.push({ shard: 0, services: count, scheduledAt: Date.parse(s.lastSweepAt), startedAt: Date.parse(s.lastSweepAt), durationMs: s.lastSweepMs, totalMs: s.lastSweepMs });
  }, 50).unref();
}
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ cpu: process.cpuUsage(), sweeps: sweeps.splice(0) });
});
process.send?.({ port });
process.on('SIGTERM', async () => {
  await cc.service.stop();
  process.exit(0);
});
