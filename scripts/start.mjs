// `npm start [service…]`: builds and runs every Factory service (or the ones named) on this machine,
// with nothing else set up. What runs, with which Postgres and Redis, and how signals and crashes are
// handled: scripts/run-services.mjs (shared with `pnpm dev`).
import { spawnSync } from 'node:child_process';
import { ensureDependencies, ensurePnpm } from './bootstrap.mjs';
import { planServices, root, supervise } from './run-services.mjs';

ensurePnpm();
ensureDependencies();
console.log('start: building (turbo caches what has not changed)');
if (spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

const { processes, summary } = await planServices({ only: process.argv.slice(2) });
console.log(`start: ${summary}`);
supervise(processes, { tag: 'start' });
const center = processes.find((p) => p.name === 'control-center');
console.log(`start: ${center ? `dashboard ${center.url}/   ` : ''}(Ctrl-C stops everything)\n`);
