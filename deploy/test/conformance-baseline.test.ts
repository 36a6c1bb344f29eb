// How the conformance step (scripts/conformance.mjs) judges the suite's checks against
// conformance/expected-failures.yml, and that the committed baseline is well formed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { entryFor, EVERY_VERSION, judgeScenario, parseBaseline, unusedEntries } from '../../scripts/conformance-baseline.mjs';
import { REPO_ROOT } from './helpers.js';

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
const check = (id: string, status: Status) => ({ id, status, description: id });

const baseline = parseBaseline({
  [EVERY_VERSION]: { 'prompts-list': { 'prompts-list': 'no prompts' } },
  '2025-11-25': { 'server-sse-polling': 'stateless' },
  '2026-07-28': { 'server-stateless': { 'needs-fixture': 'fixture tool', 'also-fixture': 'fixture tool' } },
});

describe('judgeScenario', () => {
  test('a scenario with no entry passes only when no check fails or warns; INFO and SKIPPED do not count', () => {
    expect(judgeScenario([check('a', 'SUCCESS'), check('b', 'INFO'), check('c', 'SKIPPED')], undefined).outcome).toBe('pass');
    expect(judgeScenario([check('a', 'SUCCESS'), check('b', 'FAILURE')], undefined)).toMatchObject({ outcome: 'fail', unexpected: [{ id: 'b' }] });
    expect(judgeScenario([check('a', 'WARNING')], undefined)).toMatchObject({ outcome: 'fail', unexpected: [{ id: 'a' }] });
  });

  test('a check reported twice counts with its worst status', () => {
    expect(judgeScenario([check('a', 'FAILURE'), check('a', 'SUCCESS')], undefined).outcome).toBe('fail');
    expect(judgeScenario([check('a', 'SUCCESS'), check('a', 'WARNING')], undefined).outcome).toBe('fail');
  });

  test('a scenario that wrote no results fails', () => {
    expect(judgeScenario(undefined, undefined)).toMatchObject({ outcome: 'fail', unexpected: [{ id: 'no-results' }] });
    expect(judgeScenario(undefined, entryFor(baseline, '2025-11-25', 'server-sse-polling')).outcome).toBe('fail');
  });

  test('a whole-scenario entry expects some check to fail, and fails when the scenario passes', () => {
    const entry = entryFor(baseline, '2025-11-25', 'server-sse-polling');
    expect(judgeScenario([check('x', 'WARNING'), check('y', 'FAILURE')], entry)).toMatchObject({ outcome: 'expected', unexpected: [] });
    expect(judgeScenario([check('x', 'SUCCESS')], entry)).toMatchObject({ outcome: 'fail', stale: ['(whole scenario)'] });
  });

  test('a per-check entry expects exactly those checks to fail; any other failing check still fails the scenario', () => {
    const entry = entryFor(baseline, '2026-07-28', 'server-stateless');
    const fixture = [check('needs-fixture', 'FAILURE'), check('also-fixture', 'WARNING')];
    expect(judgeScenario([...fixture, check('wire-schema-valid', 'SUCCESS')], entry)).toMatchObject({ outcome: 'expected', unexpected: [], stale: [] });
    expect(judgeScenario([...fixture, check('wire-schema-valid', 'FAILURE')], entry)).toMatchObject({ outcome: 'fail', unexpected: [{ id: 'wire-schema-valid' }] });
  });

  test('an expected check that passes, is skipped or is missing is stale and fails the scenario', () => {
    const entry = entryFor(baseline, '2026-07-28', 'server-stateless');
    expect(judgeScenario([check('needs-fixture', 'FAILURE'), check('also-fixture', 'SUCCESS')], entry)).toMatchObject({ outcome: 'fail', stale: ['also-fixture'] });
    expect(judgeScenario([check('needs-fixture', 'FAILURE'), check('also-fixture', 'SKIPPED')], entry)).toMatchObject({ outcome: 'fail', stale: ['also-fixture'] });
    expect(judgeScenario([check('needs-fixture', 'FAILURE')], entry)).toMatchObject({ outcome: 'fail', stale: ['also-fixture'] });
  });

  test('every-version entries apply at each spec version; version entries only at theirs', () => {
    expect(entryFor(baseline, '2025-11-25', 'prompts-list')).toBeDefined();
    expect(entryFor(baseline, '2026-07-28', 'prompts-list')).toBeDefined();
    expect(entryFor(baseline, '2026-07-28', 'server-sse-polling')).toBeUndefined();
  });
});

describe('parseBaseline', () => {
  test('refuses an entry without a one-line reason', () => {
    expect(() => parseBaseline({ '2025-11-25': { ping: '' } })).toThrow(/needs a one-line reason/);
    expect(() => parseBaseline({ '2025-11-25': { ping: 'two\nlines' } })).toThrow(/needs a one-line reason/);
    expect(() => parseBaseline({ '2025-11-25': { ping: null } })).toThrow(/needs a reason/);
    expect(() => parseBaseline({ '2025-11-25': { ping: { 'ping-check': 3 } } })).toThrow(/ping \/ ping-check needs a one-line reason/);
  });

  test('refuses an unknown section and a scenario listed under every-version and a version', () => {
    expect(() => parseBaseline({ latest: { ping: 'x' } })).toThrow(/neither every-version nor a spec version/);
    expect(() => parseBaseline({ [EVERY_VERSION]: { ping: 'x' }, '2025-11-25': { ping: 'y' } })).toThrow(/both under every-version and under 2025-11-25/);
  });
});

describe('unusedEntries', () => {
  test('names entries of a run version that matched no scenario the suite ran, and skips versions not run', () => {
    const ran = new Map([['2025-11-25', new Set(['prompts-list'])]]);
    expect(unusedEntries(baseline, ran)).toEqual(['2025-11-25 / server-sse-polling']);
    ran.get('2025-11-25')?.add('server-sse-polling');
    expect(unusedEntries(baseline, ran)).toEqual([]);
  });
});

describe('conformance/expected-failures.yml', () => {
  test('parses, and gives every entry a reason', () => {
    const committed = parseBaseline(parse(readFileSync(join(REPO_ROOT, 'conformance', 'expected-failures.yml'), 'utf8')));
    expect([...committed.keys()].sort()).toEqual(['2025-11-25', '2026-07-28', EVERY_VERSION]);
    for (const entries of committed.values()) expect(entries.size).toBeGreaterThan(0);
  });
});
