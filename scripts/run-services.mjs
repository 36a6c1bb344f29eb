// What `npm start` (scripts/start.mjs) and `pnpm dev` (scripts/dev.mjs) share: which processes run on
// this machine and with what settings (from scripts/local-services.mjs, which conformance uses too),
// and the supervisor that runs them.
//
// - Postgres: a local server on 127.0.0.1:5432 if one answers (one database per app, `factory_<app>`,
//   created on first use); else each service falls back to an embedded PGlite database under .data/.
// - Redis: REDIS_URL if set; else a local server on 127.0.0.1:6379 if one answers. The memory worker
//   runs only with Redis and a real Postgres (it shares the API's database); otherwise the memory
//   service compresses in-process.
// - Every service binds 127.0.0.1, on FACTORY_PORT_BASE (default 3000) + its offset. Without API_KEYS
//   auth is off, which base-server only allows on loopback.
// - Signals: SIGINT, SIGTERM and SIGHUP stop every service (SIGTERM, then SIGKILL after 15 s); so does
//   the parent going away (npm killed), so nothing is left behind. A service that exits on its own is
//   started again after 1 s, 2 s, 4 s … (at most 30 s; back to 1 s once it has run for a minute).
import { mkdirSync } from 'node:fs';
import { localDatabases, reachable, root, serviceEnv, SERVICES, spawnService } from './local-services.mjs';

export { root };

const say = (line) => process.stdout.write(`${line}\n`);
const appOf = (s) => s.entry.split('/')[1];

/**
 * The processes to run: every service (or only those named in `only`), with the environment each gets,
 * and one line saying what was detected.
 */
export async function planServices({ env = process.env, only = [] } = {}) {
  const unknown = only.filter((n) => !SERVICES.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown service ${unknown.join(', ')}; known: ${SERVICES.map((s) => s.name).join(', ')}`);
  const shift = Number(env.FACTORY_PORT_BASE || 3000) - 3000;
  const selected = SERVICES.filter((s) => only.length === 0 || only.includes(s.name));
  const databaseFor = await localDatabases([...new Set(selected.map((s) => s.database).filter(Boolean))], (m) => say(`start: ${m}`));
  const redisUrl = env.REDIS_URL || ((await reachable(6379)) ? 'redis://127.0.0.1:6379' : undefined);
  const withWorker = Boolean(redisUrl && databaseFor) && (only.length === 0 || only.includes('memory-worker'));
  mkdirSync(`${root}.data`, { recursive: true });

  const running = selected.filter((s) => !s.needsRedis || withWorker).map((s) => ({ ...s, port: s.port + shift }));
  const url = (s) => `http://127.0.0.1:${s.port}`;
  // The control center watches what really runs here.
  const registry = running
    .filter((s) => s.name !== 'control-center')
    .map((s) => ({ name: s.name, url: url(s), required: !s.name.endsWith('-worker'), mcp: Boolean(s.mcp) }));
  const processes = running.map((s) => ({
    name: s.name,
    app: appOf(s),
    url: url(s),
    service: s,
    env: {
      ...env,
      ...serviceEnv(s, { databaseFor, redisUrl, withWorker, dataDir: `${root}.data` }),
      // Services write JSON lines into the supervisor's pipe; on a terminal they are made readable.
      ...(env.LOG_FORMAT ? {} : { LOG_FORMAT: process.stdout.isTTY ? 'pretty' : 'json' }),
      // The AWS SDK's once-per-process banner that it will need Node >= 22 from 2027 (its own switch;
      // set it to false to see it). Images run Node 22+, where it never prints.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true',
      // The workflow worker calls tools on the same servers the control center watches.
      ...(s.name === 'control-center' || s.name === 'workflow-worker' ? { SERVICES: JSON.stringify(registry) } : {}),
    },
  }));
  const summary = `Postgres ${databaseFor ? 'local, one database per app (factory_*)' : 'embedded PGlite (.data/)'}; Redis ${redisUrl ?? 'none'}; memory compresses ${withWorker ? 'on its worker' : 'in-process'}`;
  return { processes, summary };
}

const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;
const STOP_GRACE_MS = 15_000;

/**
 * Runs the processes with prefixed output, restarts one that exits on its own (with backoff), and
 * stops them all on a signal or when the parent process goes away. `restart(name)` restarts one now
 * (pnpm dev, after a rebuild). `tag` prefixes the supervisor's own lines.
 */
export function supervise(processes, { tag = 'start', onStop } = {}) {
  const state = new Map(processes.map((p) => [p.name, { spec: p, child: undefined, failures: 0, timer: undefined, startedAt: 0, restarting: false }]));
  let stopping = false;

  const pipe = (stream, prefix) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  };

  const launch = (s) => {
    const { spec } = s;
    const child = spawnService(spec.service, spec.env);
    s.child = child;
    s.startedAt = Date.now();
    say(`${tag}: ${spec.name} started (pid ${child.pid}) ${spec.url}`);
    const prefix = `${spec.name.padEnd(17)} | `;
    pipe(child.stdout, prefix);
    pipe(child.stderr, prefix);
    child.once('exit', (code, signal) => {
      if (s.child === child) s.child = undefined;
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (s.restarting) {
        s.restarting = false;
        launch(s);
        return;
      }
      if (Date.now() - s.startedAt >= HEALTHY_AFTER_MS) s.failures = 0;
      const delay = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** s.failures);
      s.failures += 1;
      say(`${tag}: ${spec.name} exited (${how}); restart ${s.failures} in ${delay / 1000} s`);
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (!stopping) launch(s);
      }, delay);
    });
  };

  const alive = () => [...state.values()].map((s) => s.child).filter((c) => c && c.exitCode === null && c.signalCode === null);

  let forced = false;
  const stop = (reason) => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      if (!forced) for (const c of alive()) c.kill('SIGKILL');
      forced = true;
      return;
    }
    stopping = true;
    say(`\n${tag}: ${reason}: stopping every service`);
    for (const s of state.values()) clearTimeout(s.timer);
    onStop?.();
    const children = alive();
    for (const c of children) c.kill('SIGTERM');
    const kill = setTimeout(() => {
      for (const c of alive()) c.kill('SIGKILL');
    }, STOP_GRACE_MS);
    Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r))))).then(() => {
      clearTimeout(kill);
      say(`${tag}: every service stopped`);
      process.exit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  // npm and pnpm do not always pass a signal on (SIGTERM to npm's own pid kills only npm): a parent that
  // went away is a signal too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 500).unref();

  for (const s of state.values()) launch(s);

  return {
    stop,
    /** Restarts one service now (after its code was rebuilt); a pending backoff restart happens now. */
    restart(name) {
      const s = state.get(name);
      if (!s || stopping) return;
      s.failures = 0;
      if (s.timer) {
        clearTimeout(s.timer);
        s.timer = undefined;
        launch(s);
      } else if (s.child) {
        s.restarting = true;
        say(`${tag}: ${name} rebuilt; restarting`);
        s.child.kill('SIGTERM');
      }
    },
  };
}
