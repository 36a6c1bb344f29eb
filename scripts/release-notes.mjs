#!/usr/bin/env node
// Release notes for a version tag, from the changelogs changesets writes (`pnpm changeset version`
// turns .changeset/*.md into each app's CHANGELOG.md section and bumps its package.json version).
// For each app: its version and image tags, and its CHANGELOG.md section for that version, or a line
// saying it is unchanged since the previous release tag. Used by release.yml; markdown on stdout.
//
//   node scripts/release-notes.mjs TAG [--root DIR]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { root: { type: 'string' } }, allowPositionals: true });
const root = values.root ?? fileURLToPath(new URL('..', import.meta.url));
const tag = positionals[0];
if (!tag) {
  process.stderr.write('usage: node scripts/release-notes.mjs TAG [--root DIR]\n');
  process.exit(2);
}

/** @param {string[]} args */
const git = (args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
const sha = git(['rev-parse', `${tag}^{commit}`]);
if (!sha) {
  process.stderr.write(`release-notes: ${tag} is not a tag of ${root}\n`);
  process.exit(1);
}
// The release tag before this one (vX.Y.Z tags only), if any.
const previous = git(['describe', '--tags', '--abbrev=0', '--match', 'v[0-9]*', `${sha}^`]);

/**
 * The body of the `## <version>` section of a changesets CHANGELOG.md.
 * @param {string} changelog
 * @param {string} version
 */
function changelogSection(changelog, version) {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${version}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}

const apps = readdirSync(join(root, 'apps'))
  .filter((d) => existsSync(join(root, 'apps', d, 'package.json')))
  .sort();
const out = [`# Factory ${tag}`, '', `Commit ${sha}${previous ? `, changes since ${previous}` : ''}.`, '', '| App | Version | Image tags |', '| --- | --- | --- |'];
/** @type {string[]} */
const sections = [];
for (const app of apps) {
  const version = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')).version;
  out.push(`| ${app} | ${version} | \`factory/${app}:${version}\`, \`factory/${app}:${sha}\` |`);
  const before = previous ? git(['show', `${previous}:apps/${app}/package.json`]) : undefined;
  const previousVersion = before ? JSON.parse(before).version : undefined;
  sections.push(`## ${app} ${version}`, '');
  if (previousVersion === version) {
    sections.push(`Unchanged since ${previous}.`, '');
    continue;
  }
  const file = join(root, 'apps', app, 'CHANGELOG.md');
  const body = existsSync(file) ? changelogSection(readFileSync(file, 'utf8'), version) : undefined;
  sections.push(body || `No changelog entry for ${version} (add changesets with \`pnpm changeset\`).`, '');
}
process.stdout.write(`${[...out, '', ...sections].join('\n').trimEnd()}\n`);
