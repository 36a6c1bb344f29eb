#!/usr/bin/env node
// Which apps a commit range needs to rebuild and redeploy. Used by .github/workflows/deploy.yml.
//   node deploy/scripts/changed-apps.mjs <base-sha> <head-sha>   -> {"apps":[...],"infra":true|false}
//   node deploy/scripts/changed-apps.mjs --all                   -> every app, infra true
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export const APPS = ['control-center', 'github-mcp', 'deploy-mcp', 'observability-mcp', 'memory'];

/** Files every image is built from: a change here rebuilds every app. */
const SHARED = [/^packages\//, /^pnpm-lock\.yaml$/, /^pnpm-workspace\.yaml$/, /^package\.json$/, /^turbo\.json$/, /^tsconfig\.base\.json$/, /^deploy\/Dockerfile$/, /^deploy\/docker\//];

/**
 * @param {readonly string[]} files changed paths, relative to the repository root
 * @returns {{ apps: string[], infra: boolean }}
 */
export function changedApps(files) {
  const infra = files.some((f) => f.startsWith('infra/'));
  // An infrastructure deploy runs every service at this commit's image tag, so every image is built.
  if (infra || files.some((f) => SHARED.some((re) => re.test(f)))) return { apps: [...APPS], infra };
  const apps = APPS.filter((app) => files.some((f) => f.startsWith(`apps/${app}/`)));
  return { apps, infra };
}

/** @param {string[]} argv @returns {{ apps: string[], infra: boolean }} */
function main(argv) {
  if (argv[0] === '--all') return { apps: [...APPS], infra: true };
  const [base, head] = argv;
  if (!base || !head) throw new Error('usage: changed-apps.mjs <base-sha> <head-sha> | --all');
  // A first push (base all zeros) or an unknown base deploys everything.
  if (/^0+$/.test(base)) return { apps: [...APPS], infra: true };
  let out;
  try {
    out = execFileSync('git', ['diff', '--name-only', `${base}...${head}`], { encoding: 'utf8' });
  } catch {
    return { apps: [...APPS], infra: true };
  }
  return changedApps(out.split('\n').filter(Boolean));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${JSON.stringify(main(process.argv.slice(2)))}\n`);
}
