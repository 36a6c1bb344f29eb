// `npm start`: builds and runs every Factory service on this machine, with nothing else set up.
//
// - Postgres: DATABASE_URL if set; else a local server on 127.0.0.1:5432 if one answers (database
//   `factory`, created on first use); else each service falls back to an embedded PGlite database.
// - Redis: REDIS_URL if set; else a local server on 127.0.0.1:6379 if one answers; else the memory
//   service compresses in-process and its worker is not started.
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
  { name: 'deploy-mcp', entry: 'apps/deploy-mcp/dist/index.js', port: 3002 },
  { name: 'observability-mcp', entry: 'apps/observability-mcp/dist/index.js', port: 3003 },
  { name: 'memory', entry: 'apps/memory/dist/index.js', port: 3004, needs: 'database' },
  { name: 'memory-worker', entry: 'apps/memory/dist/worker.js', port: 3005, needs: 'redis' },
  { name: 'control-center', entry: 'apps/control-center/dist/index.js', port: 3000 },
];

const reachable = (port) =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port, timeout: 500 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });

async function localDatabaseUrl() {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!(await reachable(5432))) return undefined;
  // Create the `factory` database with the pg driver base-server already depends on.
  const require = createRequire(`${root}packages/base-server/package.json`);
  const pg = require('pg');
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const exists = await client.query("select 1 from pg_database where datname = 'factory'");
    if (exists.rowCount === 0) await client.query('create database factory');
    return 'postgres://postgres@127.0.0.1:5432/factory';
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

const databaseUrl = await localDatabaseUrl();
const redisUrl = env.REDIS_URL || ((await reachable(6379)) ? 'redis://127.0.0.1:6379' : undefined);
mkdirSync(`${root}.data`, { recursive: true });

const children = [];
const running = SERVICES.filter((s) => existsSync(`${root}${s.entry}`)).filter((s) => s.needs !== 'redis' || redisUrl);
for (const s of running) {
  const childEnv = {
    ...env,
    NODE_ENV: env.NODE_ENV ?? 'development',
    HOST: '127.0.0.1',
    PORT: String(s.port),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { PGLITE_DATA_DIR: `${root}.data/${s.name}` }),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  const child = spawn(process.execPath, [`${root}${s.entry}`], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
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
    `start: Postgres ${databaseUrl ? databaseUrl.replace(/\/\/[^@]*@/, '//') : 'embedded PGlite (.data/)'}; Redis ${redisUrl ?? 'none (memory compresses in-process)'}`,
    ...running.map((s) => `start: ${s.name.padEnd(17)} http://127.0.0.1:${s.port}${s.name === 'memory-worker' ? '' : '/mcp'}`),
    'start: dashboard  http://127.0.0.1:3000/   (Ctrl-C stops everything)',
    '',
  ].join('\n'),
);
