// `pnpm dev [service…]`: every process `npm start` runs (same Postgres/Redis detection, memory worker
// included; scripts/run-services.mjs), with each package's TypeScript recompiled on every change under
// its src/ (tsc --watch, incremental) and the services whose build output changed restarted.
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import { createRequire } from 'node:module';
import { ensureDependencies, ensurePnpm } from './bootstrap.mjs';
import { planServices, root, supervise } from './run-services.mjs';

// Packages whose build a service runs: what base-server and the apps are made of.
const PACKAGES = ['packages/base-server', 'packages/aws', 'apps/github-mcp', 'apps/deploy-mcp', 'apps/observability-mcp', 'apps/memory', 'apps/control-center'];
const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
const say = (line) => process.stdout.write(`${line}\n`);

ensurePnpm();
ensureDependencies();
say('dev: building (turbo caches what has not changed)');
if (spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

// One incremental compiler per package. Their first pass rewrites every output, so output changes
// count only once each has reported its first "Watching for file changes".
const watchers = [];
const ready = PACKAGES.map(
  (dir) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], { cwd: `${root}${dir}`, stdio: ['ignore', 'pipe', 'pipe'] });
      watchers.push(child);
      const prefix = `tsc ${dir.split('/')[1]}`.padEnd(17);
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim()) say(`${prefix} | ${line}`);
          if (line.includes('Watching for file changes')) resolve();
        }
      });
      child.stderr.pipe(process.stderr);
    }),
);
await Promise.all(ready);

const { processes, summary } = await planServices({ only: process.argv.slice(2) });
say(`dev: ${summary}`);
const services = supervise(processes, {
  tag: 'dev',
  onStop: () => {
    for (const w of watchers) w.kill('SIGTERM');
  },
});

// A changed build output restarts the services made of it (a package's: all of them), once the
// compiler has gone quiet for a moment.
const pending = new Set();
let timer;
const changed = (dir) => {
  const app = dir.startsWith('apps/') ? dir.slice('apps/'.length) : undefined;
  for (const p of processes) if (!app || p.app === app) pending.add(p.name);
  clearTimeout(timer);
  timer = setTimeout(() => {
    for (const name of pending) services.restart(name);
    pending.clear();
  }, 400);
};
for (const dir of PACKAGES) watch(`${root}${dir}/dist`, { recursive: true }, () => changed(dir));

const center = processes.find((p) => p.name === 'control-center');
say(`dev: ${center ? `dashboard ${center.url}/   ` : ''}editing src/ rebuilds and restarts (Ctrl-C stops everything)\n`);
