#!/usr/bin/env node
// `pnpm audit:deps`: fails on a known high or critical vulnerability of a production dependency, unless
// security/audit-allowlist.json lists it with a reason and an expiry that has not passed. An expired
// entry fails too (re-review it or fix the dependency); an entry no advisory matches is reported as
// stale so it can be removed.
//
//   node scripts/audit-deps.mjs [--dir DIR] [--input AUDIT_JSON] [--allowlist FILE] [--today YYYY-MM-DD]
//
// --dir       the workspace to audit (default: the repository root); runs `pnpm audit --prod --json` there
// --input     a recorded `pnpm audit --prod --json` answer instead of running pnpm (tests, offline review)
// --allowlist default security/audit-allowlist.json: { "entries": [{ "id": "GHSA-…", "package": "name",
//             "reason": "why this is acceptable", "expires": "YYYY-MM-DD" }] }
// Exit 0 when nothing unallowed is found, 1 when something is, 2 when the audit or the allowlist cannot be read.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BLOCKING = new Set(['high', 'critical']);

/** @param {string} message */
function fail(message) {
  process.stderr.write(`audit:deps: ${message}\n`);
  process.exit(2);
}

/**
 * The allowlist's entries, each checked: an id, a package, a reason and a valid expiry date.
 * @param {unknown} doc
 * @returns {{ id: string, package: string, reason: string, expires: string }[]}
 */
export function readAllowlist(doc) {
  const entries = /** @type {{ entries?: unknown }} */ (doc)?.entries;
  if (!Array.isArray(entries)) throw new Error('the allowlist needs an "entries" array');
  return entries.map((e, i) => {
    const where = `allowlist entry ${i + 1}${e?.id ? ` (${e.id})` : ''}`;
    for (const key of ['id', 'package', 'reason', 'expires']) {
      if (typeof e?.[key] !== 'string' || e[key].trim() === '') throw new Error(`${where} has no "${key}"`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(e.expires) || Number.isNaN(Date.parse(`${e.expires}T00:00:00Z`))) {
      throw new Error(`${where}: "expires" must be a date YYYY-MM-DD, got "${e.expires}"`);
    }
    return { id: e.id, package: e.package, reason: e.reason, expires: e.expires };
  });
}

/**
 * Judges a `pnpm audit --json` answer against the allowlist on a given day (YYYY-MM-DD).
 * @param {any} audit
 * @param {{ id: string, package: string, reason: string, expires: string }[]} allowlist
 * @param {string} today
 */
export function judge(audit, allowlist, today) {
  if (audit?.error) throw new Error(`pnpm audit failed: ${audit.error.message ?? audit.error.code ?? JSON.stringify(audit.error)}`);
  if (typeof audit?.advisories !== 'object' || audit.advisories === null) throw new Error('the audit answer has no "advisories"');
  /** @type {string[]} */
  const failures = [];
  /** @type {string[]} */
  const allowed = [];
  const used = new Set();
  const expired = allowlist.filter((e) => e.expires < today);
  for (const e of expired) failures.push(`allowlist entry ${e.id} (${e.package}) expired on ${e.expires}: fix the dependency or review the entry again`);

  for (const adv of Object.values(audit.advisories)) {
    if (!BLOCKING.has(adv.severity)) continue;
    const ids = [adv.github_advisory_id, String(adv.id), ...(adv.cves ?? [])].filter(Boolean);
    const versions = [...new Set((adv.findings ?? []).map((/** @type {{ version: string }} */ f) => f.version))].join(', ');
    const path = (adv.findings ?? [])[0]?.paths?.[0];
    const label = `${adv.severity} ${adv.module_name}@${versions} ${ids[0]}: ${adv.title}${path ? ` (via ${path})` : ''}`;
    const entry = allowlist.find((e) => ids.includes(e.id) && e.package === adv.module_name);
    if (entry) used.add(entry);
    if (entry && entry.expires >= today) {
      allowed.push(`${label} — allowed until ${entry.expires}: ${entry.reason}`);
    } else if (!entry) {
      failures.push(`${label} — fixed in ${adv.patched_versions ?? 'no version yet'}; update it, or allowlist it with a reason and an expiry`);
    }
  }
  const stale = allowlist.filter((e) => !used.has(e) && e.expires >= today).map((e) => `allowlist entry ${e.id} (${e.package}) matches no advisory any more: remove it`);
  return { failures, allowed, stale };
}

function main() {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, input: { type: 'string' }, allowlist: { type: 'string' }, today: { type: 'string' } },
  });
  const allowlistFile = values.allowlist ?? `${ROOT}security/audit-allowlist.json`;
  let allowlist;
  try {
    allowlist = readAllowlist(JSON.parse(readFileSync(allowlistFile, 'utf8')));
  } catch (err) {
    fail(`${allowlistFile}: ${/** @type {Error} */ (err).message}`);
  }

  let raw;
  if (values.input) {
    raw = readFileSync(values.input, 'utf8');
  } else {
    // pnpm exits non-zero when it finds anything; the JSON on stdout is what counts.
    const res = spawnSync('pnpm', ['audit', '--prod', '--json'], { cwd: values.dir ?? ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.error) fail(`could not run pnpm: ${res.error.message}`);
    raw = res.stdout;
  }
  let audit;
  try {
    audit = JSON.parse(raw);
  } catch {
    fail(`pnpm audit did not answer JSON: ${raw.slice(0, 300)}`);
  }

  const today = values.today ?? new Date().toISOString().slice(0, 10);
  let result;
  try {
    result = judge(audit, /** @type {NonNullable<typeof allowlist>} */ (allowlist), today);
  } catch (err) {
    fail(/** @type {Error} */ (err).message);
  }
  const { failures, allowed, stale } = /** @type {NonNullable<typeof result>} */ (result);
  for (const line of allowed) console.log(`allowed ${line}`);
  for (const line of stale) console.log(`stale   ${line}`);
  for (const line of failures) console.log(`FAIL    ${line}`);
  if (failures.length > 0) {
    console.error(`audit:deps: ${failures.length} problem(s) in production dependencies`);
    process.exit(1);
  }
  const counts = audit.metadata?.vulnerabilities ?? {};
  console.log(`audit:deps: no unallowed high or critical advisory (${['critical', 'high', 'moderate', 'low'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ')})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
