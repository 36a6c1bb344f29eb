// `npm start` and `pnpm dev` as a person runs them, with real processes: a signal to the top process
// (npm's or pnpm's own pid, which is all a process manager or `kill` reaches) stops every process under
// it; a service that dies is started again and the supervisor says so; `pnpm dev` runs what `npm start`
// runs (memory worker included, with the local Postgres and Redis) and rebuilds and restarts a service
// when its src/ changes. Ports come from FACTORY_PORT_BASE so nothing collides with a running stack.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { cleanEnv, pollUntil, REPO_ROOT, startProcess, type RunningProcess } from './helpers.js';

const started: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A base port with base+0 … base+5 free (the offsets of the six processes). */
async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    const free = await Promise.all([0, 1, 2, 3, 4, 5].map((o) => canListen(base + o)));
    if (free.every(Boolean)) return base;
  }
}

/** Every live descendant of pid (from /proc), zombies excluded. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const list = parents.get(Number(ppid)) ?? [];
      list.push(Number(entry));
      parents.set(Number(ppid), list);
    } catch {
      // gone while reading
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

function launch(command: string, args: string[], base: number): RunningProcess {
  const proc = startProcess(command, args, { cwd: REPO_ROOT, env: cleanEnv({ FACTORY_PORT_BASE: String(base), LOG_LEVEL: 'warn' }) });
  started.push(proc);
  return proc;
}

const pidOf = (proc: RunningProcess, name: string, after = 0) =>
  pollUntil(`${name} to start (output: ${proc.output().slice(-3000)})`, async () => {
    const pids = [...proc.output().matchAll(new RegExp(`: ${name} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
    return pids.length > after ? pids[after] : undefined;
  }, 240_000);

const healthy = (url: string) =>
  pollUntil(`${url}/health`, async () => ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).status === 200 ? true : undefined), 120_000);

async function expectAllGone(proc: RunningProcess, tree: number[]) {
  expect(tree.length).toBeGreaterThanOrEqual(3);
  await proc.exited;
  await pollUntil(`every process to exit (left: ${tree.filter(alive).join(', ')})`, async () => (tree.some(alive) ? undefined : true), 30_000);
}

describe('npm start', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    'restarts a service that dies, saying so, prints no AWS SDK banner, and stops everything on %s to npm',
    async (signal) => {
      const base = await freePortBase();
      const npm = launch('npm', ['start', '--', 'github-mcp', 'memory', 'deploy-mcp'], base);
      const memoryPid = await pidOf(npm, 'memory');
      await pidOf(npm, 'github-mcp');
      await pidOf(npm, 'deploy-mcp');
      await healthy(`http://127.0.0.1:${base + 4}`);
      await healthy(`http://127.0.0.1:${base + 1}`);
      await healthy(`http://127.0.0.1:${base + 2}`);
      // deploy-mcp builds its AWS clients at start; on Node 20 the SDK would print its banner here.
      expect(npm.output()).not.toContain('NodeVersionSupportWarning');

      process.kill(memoryPid, 'SIGKILL');
      const again = await pidOf(npm, 'memory', 1);
      expect(again).not.toBe(memoryPid);
      expect(npm.output()).toContain('start: memory exited (SIGKILL); restart 1 in 1 s');
      await healthy(`http://127.0.0.1:${base + 4}`);

      const tree = descendants(npm.child.pid ?? 0);
      expect(tree).toEqual(expect.arrayContaining([again]));
      npm.child.kill(signal);
      await expectAllGone(npm, tree);
      expect(npm.output()).toContain('start: every service stopped');
    },
    300_000,
  );
});

describe('pnpm dev', () => {
  test('runs the memory worker on the local Postgres and Redis, and rebuilds and restarts a service when its src changes; SIGTERM to pnpm stops it all', async () => {
    const base = await freePortBase();
    const pnpm = launch('pnpm', ['dev', 'github-mcp', 'memory', 'memory-worker'], base);
    const githubPid = await pidOf(pnpm, 'github-mcp');
    await pidOf(pnpm, 'memory-worker');
    expect(pnpm.output()).toContain('dev: Postgres local, one database per app (factory_*); Redis redis://127.0.0.1:6379; memory compresses on its worker');
    await healthy(`http://127.0.0.1:${base + 1}`);
    await healthy(`http://127.0.0.1:${base + 5}`);

    const file = join(REPO_ROOT, 'apps/github-mcp/src/index.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, `${original}\n// touched by deploy/test/start-dev.test.ts\n`);
      const rebuilt = await pidOf(pnpm, 'github-mcp', 1);
      expect(rebuilt).not.toBe(githubPid);
      expect(pnpm.output()).toContain('dev: github-mcp rebuilt; restarting');
      expect(readFileSync(join(REPO_ROOT, 'apps/github-mcp/dist/index.js'), 'utf8')).toContain('touched by deploy/test/start-dev.test.ts');
    } finally {
      writeFileSync(file, original);
    }
    await pidOf(pnpm, 'github-mcp', 2);
    await healthy(`http://127.0.0.1:${base + 1}`);
    // Only the app whose output changed was restarted.
    expect(pnpm.output().match(/: memory started/g)).toHaveLength(1);

    const tree = descendants(pnpm.child.pid ?? 0);
    pnpm.child.kill('SIGTERM');
    await expectAllGone(pnpm, tree);
  }, 400_000);
});
