// The README's configuration tables checked against the apps' real config schemas: every setting an app
// reads is documented (in the common table or its own), and no row documents a setting nothing reads.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { configSchema as controlCenterSchema } from '../../apps/control-center/dist/config.js';
import { githubConfigSchema } from '../../apps/github-mcp/dist/config.js';
import { configSchema as deploySchema } from '../../apps/deploy-mcp/dist/config.js';
import { observabilityConfigSchema } from '../../apps/observability-mcp/dist/config.js';
import { memoryConfigSchema } from '../../apps/memory/dist/config.js';

const SETTINGS: Record<string, string[]> = {
  // The workflow worker reads WORKFLOW_WORKER_PORT as its PORT (parseWorkflowWorkerConfig).
  'control-center': [...Object.keys(controlCenterSchema.shape), 'WORKFLOW_WORKER_PORT'],
  'github-mcp': Object.keys(githubConfigSchema.shape),
  'deploy-mcp': Object.keys(deploySchema.shape),
  'observability-mcp': Object.keys(observabilityConfigSchema.shape),
  // The worker reads WORKER_PORT as its PORT (parseWorkerConfig), so it is not a key of the schema.
  memory: [...Object.keys(memoryConfigSchema.shape), 'WORKER_PORT'],
};

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const configuration = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1));

/** The variables in the first column of the tables under each `### heading` of the Configuration section. */
function tableRows(): Map<string, Set<string>> {
  const sections = new Map<string, Set<string>>();
  let current = '';
  for (const line of configuration.split('\n')) {
    const heading = /^### (.+)$/.exec(line);
    if (heading) current = heading[1]!.trim();
    const row = /^\| `([A-Z][A-Z0-9_]*)` \|/.exec(line);
    if (row && current) {
      if (!sections.has(current)) sections.set(current, new Set());
      sections.get(current)!.add(row[1]!);
    }
  }
  return sections;
}

const rows = tableRows();
const common = rows.get('Common settings (every service)') ?? new Set<string>();
const sectionOf = (app: string) => [...rows.entries()].find(([heading]) => heading.startsWith(app))?.[1] ?? new Set<string>();

describe('README configuration tables', () => {
  test('the common table and every app section are there', () => {
    expect(common.size).toBeGreaterThan(10);
    for (const app of Object.keys(SETTINGS)) expect(sectionOf(app).size).toBeGreaterThan(0);
  });

  test.each(Object.keys(SETTINGS))('every setting %s reads has a row', (app) => {
    const documented = new Set([...common, ...sectionOf(app)]);
    expect(SETTINGS[app]!.filter((key) => !documented.has(key))).toEqual([]);
  });

  test('every row documents a setting some app reads', () => {
    const read = new Set(Object.values(SETTINGS).flat());
    const stale = [...rows.values()].flatMap((set) => [...set]).filter((key) => !read.has(key));
    expect(stale).toEqual([]);
  });
});
