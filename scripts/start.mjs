// `npm start`: builds and runs every Factory service on this machine, with nothing else set up.
//
// - Postgres: a local server on 127.0.0.1:5432 if one answers (one database per app, `factory_<app>`,
//   created on first use: each app migrates its own tables); else each service falls back to an
//   embedded PGlite database under .data/.
// - Redis: REDIS_URL if set; else a local server on 127.0.0.1:6379 if one answers. The memory worker
//   runs only with Redis and a real Postgres (it shares the API's database); otherwise the memory
//   service compresses in-process.
// - Every service binds 127.0.0.1. Without API_KEYS auth is off, which base-server only allows on
//   loopback. Ctrl-C stops everything gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ensureDependencies, ensurePnpm } from './bootstrap.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

const SERVICES = [
  { name: 'github-mcp', entry: 'apps/github-mcp/dist/index.js', port: 3001 },
  { name: 'deploy-mcp', entry: 'apps/deploy-mcp/dist/index.js', port: 3002, database: 'factory_deploy_mcp' },
  { name: 'observability-mcp', entry: 'apps/observability-mcp/dist/index.js', port: 3003 },
  { name: 'memory', entry: 'apps/memory/dist/index.js', port: 3004, database: 'factory_memory' },
  { name: 'memory-worker', entry: 'apps/memory/dist/worker.js', port: 3005, database: 'factory_memory', needsRedis: true },
  { name: 'control-center', entry: 'apps/control-center/dist/index.js', port: 3000, database: 'factory_control_center' },
];

const reachable = (port) =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port, timeout: 500 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });

/** Creates the per-app databases on a local Postgres; resolves a URL builder, or undefined (use PGlite). */
async function localDatabases(names) {
  if (!(await reachable(5432))) return undefined;
  // The pg driver base-server already depends on.
  const require = createRequire(`${root}packages/base-server/package.json`);
  const pg = require('pg');
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    for (const name of names) {
      const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`create database ${name}`);
    }
    return (name) => `postgres://postgres@127.0.0.1:5432/${name}`;
  } catch (err) {
    console.log(`start: local Postgres answered but could not be used (${err.message}); using embedded PGlite`);
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

ensurePnpm();
ensureDependencies();
console.log('start: building (turbo caches what has not changed)');
if (spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

const databaseFor = await localDatabases([...new Set(SERVICES.map((s) => s.database).filter(Boolean))]);
const redisUrl = env.REDIS_URL || ((await reachable(6379)) ? 'redis://127.0.0.1:6379' : undefined);
const withWorker = Boolean(redisUrl && databaseFor);
mkdirSync(`${root}.data`, { recursive: true });

const children = [];
const running = SERVICES.filter((s) => existsSync(`${root}${s.entry}`)).filter((s) => !s.needsRedis || withWorker);
// The control center watches what really runs here.
const registry = running
  .filter((s) => s.name !== 'control-center')
  .map((s) => ({ name: s.name, url: `http://127.0.0.1:${s.port}`, required: s.name !== 'memory-worker', mcp: s.name !== 'memory-worker' }));
for (const s of running) {
  const childEnv = {
    ...env,
    NODE_ENV: env.NODE_ENV ?? 'development',
    HOST: '127.0.0.1',
    PORT: String(s.port),
    ...(s.name === 'memory-worker' ? { WORKER_PORT: String(s.port) } : {}),
    ...(s.database && databaseFor ? { DATABASE_URL: databaseFor(s.database) } : { PGLITE_DATA_DIR: `${root}.data/${s.name}` }),
    // Memory hands compression to the worker only when the worker runs; otherwise it compresses in-process.
    ...(redisUrl && (s.name !== 'memory' || withWorker) ? { REDIS_URL: redisUrl } : {}),
    ...(s.name === 'control-center' ? { SERVICES: JSON.stringify(registry) } : {}),
  };
  const child = spawn(process.execPath, ['--import', '@factory/base-server/instrument', `${root}${s.entry}`], {
    cwd: `${root}${s.entry.split('/dist/')[0]}`,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `${s.name.padEnd(17)} | `;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (chunk) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    if (!shuttingDown) console.log(`start: ${s.name} exited (${signal ?? code})`);
  });
  children.push(child);
}

let shuttingDown = false;
const stopAll = () => {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log('\nstart: stopping every service');
  for (const c of children) c.kill('SIGTERM');
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(() => process.exit(0));
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

console.log(
  [
    '',
    `start: Postgres ${databaseFor ? 'local, one database per app (factory_*)' : 'embedded PGlite (.data/)'}; Redis ${redisUrl ?? 'none'}; memory compresses ${withWorker ? 'on its worker' : 'in-process'}`,
    ...running.map((s) => `start: ${s.name.padEnd(17)} http://127.0.0.1:${s.port}${s.name === 'memory-worker' ? '' : '/mcp'}`),
    'start: dashboard  http://127.0.0.1:3000/   (Ctrl-C stops everything)',
    '',
  ].join('\n'),
);
