// The expected-failures baseline of the conformance step (conformance/expected-failures.yml), and how
// one scenario's checks are judged against it. Pure functions: scripts/conformance.mjs runs the suite,
// deploy/test/conformance-baseline.test.ts proves the rules.
//
// The rules are the suite's own baseline rules (`ol` in @modelcontextprotocol/conformance 0.2.0-alpha.12
// dist/index.js): checks are deduplicated by id keeping the worst status, INFO is ignored, FAILURE and
// WARNING both count as failing; an entry is a whole scenario or one check of it. One rule is
// stricter than the suite's: an expected check must really fail (the suite lets a SKIPPED or missing
// check pass silently), so a stale or misspelt entry cannot hide.

/** The section whose entries apply at every spec version a scenario runs at. */
export const EVERY_VERSION = 'every-version';

/**
 * @typedef {{ id: string, status: string, description?: string, errorMessage?: string }} Check one line of a checks.json
 * @typedef {{ reason: string, checks?: undefined } | { reason?: undefined, checks: Map<string, string> }} Entry
 *   a whole scenario (its reason), or some of its checks (check id -> reason)
 * @typedef {Map<string, Map<string, Entry>>} Baseline section (EVERY_VERSION or a spec version) -> scenario -> entry
 * @typedef {{ outcome: 'pass' | 'expected' | 'fail', unexpected: Check[], stale: string[], expected: Check[] }} Verdict
 */

/** @param {string} status */
const failing = (status) => status === 'FAILURE' || status === 'WARNING';
/** @param {string} status */
const rank = (status) => (status === 'FAILURE' ? 3 : status === 'WARNING' ? 2 : status === 'SUCCESS' ? 1 : 0);

/**
 * Parses the YAML document of the baseline: `{ [EVERY_VERSION | specVersion]: { [scenario]: reason |
 * { [checkId]: reason } } }`. Every entry needs a non-empty one-line reason. Throws on anything else.
 * @param {unknown} doc
 * @returns {Baseline}
 */
export function parseBaseline(doc) {
  if (doc == null) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected-failures: the top level maps a spec version (or every-version) to scenarios');
  /** @type {Baseline} */
  const sections = new Map();
  for (const [section, scenarios] of Object.entries(doc)) {
    if (section !== EVERY_VERSION && !/^\d{4}-\d{2}-\d{2}$/.test(section)) {
      throw new Error(`expected-failures: section "${section}" is neither ${EVERY_VERSION} nor a spec version (YYYY-MM-DD)`);
    }
    if (scenarios == null || typeof scenarios !== 'object' || Array.isArray(scenarios)) {
      throw new Error(`expected-failures: section "${section}" must map scenario names to reasons`);
    }
    /** @type {Map<string, Entry>} */
    const entries = new Map();
    for (const [scenario, value] of Object.entries(scenarios)) {
      const where = `${section} / ${scenario}`;
      if (typeof value === 'string') {
        entries.set(scenario, { reason: reasonOf(value, where) });
      } else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
        entries.set(scenario, { checks: new Map(Object.entries(value).map(([id, r]) => [id, reasonOf(r, `${where} / ${id}`)])) });
      } else {
        throw new Error(`expected-failures: ${where} needs a reason, or a map of check ids to reasons`);
      }
    }
    sections.set(section, entries);
  }
  for (const [scenario] of sections.get(EVERY_VERSION) ?? []) {
    for (const [section, entries] of sections) {
      if (section !== EVERY_VERSION && entries.has(scenario)) {
        throw new Error(`expected-failures: ${scenario} is listed both under ${EVERY_VERSION} and under ${section}; keep one`);
      }
    }
  }
  return sections;
}

/** @param {unknown} value @param {string} where @returns {string} */
function reasonOf(value, where) {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\n')) {
    throw new Error(`expected-failures: ${where} needs a one-line reason`);
  }
  return value.trim();
}

/**
 * The entry that applies to `scenario` at `specVersion`, or undefined.
 * @param {Baseline} baseline @param {string} specVersion @param {string} scenario @returns {Entry | undefined}
 */
export function entryFor(baseline, specVersion, scenario) {
  return baseline.get(specVersion)?.get(scenario) ?? baseline.get(EVERY_VERSION)?.get(scenario);
}

/** One check per id, the worst status kept; INFO lines dropped. @param {Check[]} checks */
function worstById(checks) {
  /** @type {Map<string, Check>} */
  const byId = new Map();
  for (const c of checks) {
    if (c.status === 'INFO') continue;
    const seen = byId.get(c.id);
    if (!seen || rank(c.status) >= rank(seen.status)) byId.set(c.id, c);
  }
  return [...byId.values()];
}

/**
 * Judges one scenario run. `checks` is the scenario's checks.json (undefined when it wrote none).
 * Returns `{ outcome, unexpected, stale, expected }`: outcome `pass` (nothing failing), `expected`
 * (only what the baseline expects fails) or `fail` (something unexpected fails, or an expected
 * failure passes); `unexpected` the failing checks, `stale` the entries that no longer fail.
 * @param {Check[] | undefined} checks
 * @param {Entry | undefined} entry
 * @returns {Verdict}
 */
export function judgeScenario(checks, entry) {
  if (!checks) {
    return { outcome: 'fail', unexpected: [{ id: 'no-results', status: 'FAILURE', errorMessage: 'the suite wrote no checks.json for this scenario (see the run log)' }], stale: [], expected: [] };
  }
  const bad = worstById(checks).filter((c) => failing(c.status));
  if (!entry) return { outcome: bad.length ? 'fail' : 'pass', unexpected: bad, stale: [], expected: [] };
  if (entry.reason !== undefined) {
    return bad.length
      ? { outcome: 'expected', unexpected: [], stale: [], expected: bad }
      : { outcome: 'fail', unexpected: [], stale: ['(whole scenario)'], expected: [] };
  }
  const unexpected = bad.filter((c) => !entry.checks.has(c.id));
  const expected = bad.filter((c) => entry.checks.has(c.id));
  const stale = [...entry.checks.keys()].filter((id) => !expected.some((c) => c.id === id));
  return { outcome: unexpected.length || stale.length ? 'fail' : 'expected', unexpected, stale, expected };
}

/**
 * Baseline entries that matched no scenario the suite ran: `ran` maps each spec version that was run
 * to the set of scenario names it ran. Entries of a version that was not run are not judged.
 * @param {Baseline} baseline
 * @param {Map<string, Set<string>>} ran
 * @returns {string[]}
 */
export function unusedEntries(baseline, ran) {
  /** @type {string[]} */
  const unused = [];
  for (const [section, entries] of baseline) {
    const scenariosRun = section === EVERY_VERSION ? [...ran.values()] : [ran.get(section)].filter((s) => s !== undefined);
    if (scenariosRun.length === 0) continue;
    for (const scenario of entries.keys()) {
      const found = scenariosRun.some((s) => s.has(scenario));
      if (!found) unused.push(`${section} / ${scenario}`);
    }
  }
  return unused;
}
