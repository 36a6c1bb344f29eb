// The built control center with a registry of N simulated services (FLEET_URL/s/<i>), 30 days of
// rollups seeded for each, and one sweep done, serving HTTP: for measuring page and API latency.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseControlCenterConfig } from '../../apps/control-center/dist/config.js';
import { createControlCenter } from '../../apps/control-center/dist/app.js';
import { seedRollups } from './control-center-seed.mjs';
import { serveUntilSigterm } from './control-center-ready.mjs';

const count = Number(process.env.FLEET_SIZE ?? 200);
const services = Array.from({ length: count }, (_, i) => ({ name: `svc-${i}`, url: `${process.env.FLEET_URL}/s/${i}`, mcp: false, required: i % 4 !== 0 }));
const config = parseControlCenterConfig({
  PORT: '0',
  LOG_LEVEL: 'warn',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  API_KEYS: `bench:${process.env.BENCH_KEY}`,
  RATE_LIMIT_PER_MINUTE: '0',
  POLLER_ENABLED: 'false',
  SERVICES: JSON.stringify(services),
});
const schema = `cc_bench_${process.pid}`;
const cc = await createControlCenter(config, { schema });
const { port } = await cc.service.start();
const require = createRequire(new URL('../../apps/control-center/package.json', import.meta.url));
const { sql } = await import(pathToFileURL(require.resolve('kysely')).href);
await seedRollups(cc.database.db, sql, services.map((s) => s.name), count > 1000 ? { deps: [''], hourDays: 1 } : {});
await cc.collector.sweep();
serveUntilSigterm(cc, port, config.DATABASE_URL, schema);
