// How the Factory services run on this machine from their built `dist/` entry points: which ones,
// with which environment, on which database. Shared by `npm start` (scripts/start.mjs) and the
// conformance step (scripts/conformance.mjs), so both start a service the same way.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export const SERVICES = [
  { name: 'github-mcp', entry: 'apps/github-mcp/dist/index.js', port: 3001, mcp: true },
  { name: 'deploy-mcp', entry: 'apps/deploy-mcp/dist/index.js', port: 3002, mcp: true, database: 'factory_deploy_mcp' },
  { name: 'observability-mcp', entry: 'apps/observability-mcp/dist/index.js', port: 3003, mcp: true },
  { name: 'memory', entry: 'apps/memory/dist/index.js', port: 3004, mcp: true, database: 'factory_memory' },
  { name: 'memory-worker', entry: 'apps/memory/dist/worker.js', port: 3005, database: 'factory_memory', needsRedis: true },
  { name: 'workflow-worker', entry: 'apps/control-center/dist/workflow-worker.js', port: 3006, database: 'factory_control_center', needsRedis: true },
  { name: 'control-center', entry: 'apps/control-center/dist/index.js', port: 3000, database: 'factory_control_center' },
];

export const reachable = (port) =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port, timeout: 500 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });

/**
 * Creates the given databases on a local Postgres (127.0.0.1:5432) when one answers; resolves a URL
 * builder, or undefined (the services then fall back to embedded PGlite).
 */
export async function localDatabases(names, log = console.log) {
  if (!(await reachable(5432))) return undefined;
  // The pg driver base-server already depends on.
  const require = createRequire(`${root}packages/base-server/package.json`);
  const pg = require('pg');
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    for (const name of names) {
      const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) {
        await client.query(`create database ${name}`).catch((err) => {
          if (err.code !== '42P04' && err.code !== '23505') throw err; // created by another start at the same moment
        });
      }
    }
    return (name) => `postgres://postgres@127.0.0.1:5432/${name}`;
  } catch (err) {
    log(`local Postgres answered but could not be used (${err.message}); using embedded PGlite`);
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The environment one service runs with: loopback, its port, its database (local Postgres through
 * `databaseFor`, else PGlite under `dataDir`), Redis when given. Memory hands compression to the
 * worker only when the worker runs (`withWorker`); otherwise it compresses in-process. No API keys:
 * base-server then serves loopback only, with auth off.
 */
export function serviceEnv(s, { port = s.port, databaseFor, redisUrl, withWorker = false, dataDir }) {
  return {
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...(s.name === 'memory-worker' ? { WORKER_PORT: String(port) } : {}),
    ...(s.name === 'workflow-worker' ? { WORKFLOW_WORKER_PORT: String(port) } : {}),
    ...(s.database && databaseFor ? { DATABASE_URL: databaseFor(s.database) } : { PGLITE_DATA_DIR: `${dataDir}/${s.name}` }),
    ...(redisUrl && (s.name !== 'memory' || withWorker) ? { REDIS_URL: redisUrl } : {}),
  };
}

/** Starts one service's built entry point on this Node, with tracing preloaded as in production. */
export function spawnService(s, env) {
  return spawn(process.execPath, ['--import', '@factory/base-server/instrument', `${root}${s.entry}`], {
    cwd: `${root}${s.entry.split('/dist/')[0]}`,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
