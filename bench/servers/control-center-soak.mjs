// The built control center polling FLEET_SIZE simulated services (FLEET_URL/s/<i>) on its own schedule
// every POLL_INTERVAL_MS, with a full GC forced every GC_EVERY_MS: for the forced-GC soak. Answers
// 'memory' (after a GC) and 'sweeps' (the sweep ages the watchdog saw, sampled every 100 ms).
import { parseControlCenterConfig } from '../../apps/control-center/dist/config.js';
import { createControlCenter } from '../../apps/control-center/dist/app.js';
import { createLogger } from '@factory/base-server';
import { serveUntilSigterm } from './control-center-ready.mjs';

const count = Number(process.env.FLEET_SIZE ?? 200);
const services = Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, url: `${process.env.FLEET_URL}/s/${i}`, mcp: false }));
const config = parseControlCenterConfig({
  PORT: '0',
  LOG_LEVEL: 'silent',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  POLLER_ENABLED: 'true',
  POLL_INTERVAL_MS: process.env.POLL_INTERVAL_MS ?? '5000',
  POLL_JITTER: '0',
  SERVICES: JSON.stringify(services),
});
const schema = `cc_bench_soak_${process.pid}`;
const cc = await createControlCenter(config, { schema, logger: createLogger({ service: 'bench', version: '0', level: 'silent' }) });
const { port } = await cc.service.start();
setInterval(() => globalThis.gc?.(), Number(process.env.GC_EVERY_MS ?? 250)).unref();
let maxAge = 0;
const sweeps = new Set();
setInterval(() => {
  maxAge = Math.max(maxAge, cc.collector.watchdog.ageSeconds());
  if (cc.collector.snapshot.lastSweepAt) sweeps.add(cc.collector.snapshot.lastSweepAt);
}, 100).unref();
process.on('message', (m) => {
  if (m === 'sweeps') process.send?.({ maxAgeSeconds: maxAge, sweeps: sweeps.size, expectedGapSeconds: cc.collector.watchdog.expectedGapMs / 1000 });
});
serveUntilSigterm(cc, port, config.DATABASE_URL, schema);
