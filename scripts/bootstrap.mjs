// Makes a fresh clone runnable: pnpm (pinned in package.json's packageManager) and the workspace's
// dependencies. Used by `npm start` and `npm test`, so both work right after `git clone`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).packageManager.split('@')[1];

function pnpmVersion() {
  try {
    return execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function ensurePnpm() {
  const have = pnpmVersion();
  if (have?.split('.')[0] === wanted.split('.')[0]) return;
  console.log(`bootstrap: installing pnpm@${wanted} with npm (corepack is not used: its signature check fails offline)`);
  const r = spawnSync('npm', ['install', '--global', `pnpm@${wanted}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`could not install pnpm@${wanted}; install it with: npm i -g pnpm@${wanted}`);
}

export function ensureDependencies() {
  const marker = `${root}node_modules/.modules.yaml`;
  const lock = `${root}pnpm-lock.yaml`;
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('bootstrap: installing dependencies (pnpm install --frozen-lockfile)');
  const r = spawnSync('pnpm', ['install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('pnpm install failed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensurePnpm();
  ensureDependencies();
}
