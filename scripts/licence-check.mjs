#!/usr/bin/env node
// `pnpm licenses:check`: every production dependency's licence is on security/licence-allowlist.json,
// or the package is a reviewed exception there (name, version, the licence found, a reason).
//
//   node scripts/licence-check.mjs [--input LICENSES_JSON] [--allowlist FILE]
//
// --input  a recorded `pnpm licenses list --prod --json` answer instead of running pnpm (tests)
// Exit 0 when every licence is allowed, 1 when one is not, 2 when the inputs cannot be read.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Whether an SPDX expression is satisfied by the allowed ids: OR needs one side, AND both; a
 * parenthesised group, `WITH <exception>` kept with its licence id.
 * @param {string} expression
 * @param {Set<string>} allowed
 */
export function licenceAllowed(expression, allowed) {
  const tokens = expression.replace(/[()]/g, (p) => ` ${p} `).trim().split(/\s+/);
  let i = 0;
  /** @returns {boolean} */
  const primary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    let id = t ?? '';
    if (tokens[i] === 'WITH') {
      id = `${id} WITH ${tokens[i + 1] ?? ''}`;
      i += 2;
      return allowed.has(id);
    }
    return allowed.has(id.replace(/\+$/, ''));
  };
  const and = () => {
    let v = primary();
    while (tokens[i] === 'AND') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  return or() && i === tokens.length;
}

/**
 * @param {Record<string, { name: string, versions: string[] }[]>} listing `pnpm licenses list --json`
 * @param {{ allowed: string[], packages?: { name: string, version: string, license: string, reason: string }[] }} allowlist
 */
export function checkLicences(listing, allowlist) {
  const allowed = new Set(allowlist.allowed);
  const exceptions = allowlist.packages ?? [];
  for (const e of exceptions) {
    if (!e.name || !e.version || !e.license || !e.reason) throw new Error(`licence exception ${JSON.stringify(e)} needs name, version, license and reason`);
  }
  /** @type {string[]} */
  const failures = [];
  let count = 0;
  for (const [licence, packages] of Object.entries(listing)) {
    for (const pkg of packages) {
      for (const version of pkg.versions) {
        count++;
        if (licenceAllowed(licence, allowed)) continue;
        const exception = exceptions.find((e) => e.name === pkg.name && e.version === version && e.license === licence);
        if (!exception) failures.push(`${pkg.name}@${version}: ${licence} is not on the licence allowlist`);
      }
    }
  }
  return { failures, count };
}

function main() {
  const { values } = parseArgs({ options: { input: { type: 'string' }, allowlist: { type: 'string' } } });
  const allowlistFile = values.allowlist ?? `${ROOT}security/licence-allowlist.json`;
  let raw;
  if (values.input) raw = readFileSync(values.input, 'utf8');
  else {
    const res = spawnSync('pnpm', ['licenses', 'list', '--prod', '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.error || res.status !== 0) {
      process.stderr.write(`licenses:check: pnpm licenses list failed: ${res.error?.message ?? res.stderr}\n`);
      process.exit(2);
    }
    raw = res.stdout;
  }
  let result;
  try {
    result = checkLicences(JSON.parse(raw), JSON.parse(readFileSync(allowlistFile, 'utf8')));
  } catch (err) {
    process.stderr.write(`licenses:check: ${/** @type {Error} */ (err).message}\n`);
    process.exit(2);
  }
  for (const line of result.failures) console.log(`FAIL ${line}`);
  if (result.failures.length > 0) {
    console.error(`licenses:check: ${result.failures.length} production dependenc${result.failures.length === 1 ? 'y' : 'ies'} with a licence to review (allow it in ${allowlistFile} or replace the package)`);
    process.exit(1);
  }
  console.log(`licenses:check: ${result.count} production packages, every licence allowed`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
