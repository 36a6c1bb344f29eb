#!/usr/bin/env node
// `pnpm lint`: ESLint over the whole workspace, one process per workspace package plus one for the
// root's own files, at most LINT_CONCURRENCY (default 2) at a time.
//
// Why not one `eslint .`: with type information (projectService) a single process holds the
// TypeScript program of every package at once; on the workspace's size that reached the default
// V8 heap limit (about 4 GB) and a CI run died out of memory. One package per process peaks under
// 1 GB. The rules are the same: every process reads the one root eslint.config.js.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
const extraArgs = process.argv.slice(2);

const workspaces = [
  ...['apps', 'packages'].flatMap((top) =>
    existsSync(path.join(root, top))
      ? readdirSync(path.join(root, top), { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(path.join(root, top, e.name, 'package.json')))
          .map((e) => `${top}/${e.name}`)
      : [],
  ),
  ...['infra', 'deploy'].filter((d) => existsSync(path.join(root, d, 'package.json'))),
];

// The root's own files (bench/, scripts/, config files): everything but the workspaces.
const rootRun = ['.', ...['apps', 'packages', 'infra', 'deploy'].flatMap((d) => ['--ignore-pattern', `${d}/**`])];
const runs = [...workspaces.map((w) => [w]), rootRun];

const concurrency = Math.max(1, Number(process.env.LINT_CONCURRENCY) || 2);
let failed = 0;

function lint(targets) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [eslintBin, '--max-warnings=0', ...extraArgs, ...targets], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code, signal) => {
      const name = targets[0] === '.' ? '(root files)' : targets[0];
      if (code !== 0) {
        failed += 1;
        process.stdout.write(`lint ${name}: failed (${signal ?? `exit ${code}`})\n${out}\n`);
      } else {
        process.stdout.write(`lint ${name}: ok${out.trim() ? `\n${out}` : ''}\n`);
      }
      resolve();
    });
  });
}

const queue = [...runs];
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (queue.length > 0) await lint(queue.shift());
  }),
);
if (failed > 0) {
  process.stdout.write(`lint: ${failed} of ${runs.length} runs failed\n`);
  process.exit(1);
}
