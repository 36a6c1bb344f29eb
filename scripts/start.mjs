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
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { ensureDependencies, ensurePnpm } from './bootstrap.mjs';
import { localDatabases, reachable, root, serviceEnv, SERVICES, spawnService } from './local-services.mjs';

const env = process.env;

ensurePnpm();
ensureDependencies();
console.log('start: building (turbo caches what has not changed)');
if (spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

const databaseFor = await localDatabases([...new Set(SERVICES.map((s) => s.database).filter(Boolean))], (m) => console.log(`start: ${m}`));
const redisUrl = env.REDIS_URL || ((await reachable(6379)) ? 'redis://127.0.0.1:6379' : undefined);
const withWorker = Boolean(redisUrl && databaseFor);
mkdirSync(`${root}.data`, { recursive: true });

const children = [];
const running = SERVICES.filter((s) => existsSync(`${root}${s.entry}`)).filter((s) => !s.needsRedis || withWorker);
// The control center watches what really runs here.
const registry = running
  .filter((s) => s.name !== 'control-center')
  .map((s) => ({ name: s.name, url: `http://127.0.0.1:${s.port}`, required: s.name !== 'memory-worker', mcp: Boolean(s.mcp) }));
for (const s of running) {
  const childEnv = {
    ...env,
    ...serviceEnv(s, { databaseFor, redisUrl, withWorker, dataDir: `${root}.data` }),
    ...(s.name === 'control-center' ? { SERVICES: JSON.stringify(registry) } : {}),
  };
  const child = spawnService(s, childEnv);
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
