// Every tool as tools/list serves it (the discovery tools of dynamic mode included) (name, title, description, annotations, schemas) is kept in
// test/__toolsnaps__/<tool>.json, so a review diff shows exactly what the model will see.
// UPDATE_TOOLSNAPS=1 rewrites the snapshots; without it a changed, missing or stale snapshot fails.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockNetwork, restoreNetwork, startGithub, startGithubStdio } from './helpers.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '__toolsnaps__');
const UPDATE = process.env.UPDATE_TOOLSNAPS === '1';

describe('tool snapshots', () => {
  beforeAll(blockNetwork);
  afterAll(restoreNetwork);

  it('serves every tool exactly as its snapshot in test/__toolsnaps__ says (UPDATE_TOOLSNAPS=1 rewrites them)', async () => {
    const h = await startGithub({ GITHUB_TOOLSETS: 'all' });
    const { tools } = await h.client.listTools().finally(() => h.close());
    // The discovery tools of dynamic toolsets, served over stdio only.
    const d = await startGithubStdio({ GITHUB_TOOLSETS: 'all', GITHUB_DYNAMIC_TOOLSETS: 'true' });
    tools.push(...(await d.client.listTools().finally(() => d.close())).tools);
    if (UPDATE) mkdirSync(DIR, { recursive: true });
    const mismatched: string[] = [];
    for (const tool of tools) {
      const file = join(DIR, `${tool.name}.json`);
      const text = `${JSON.stringify(tool, null, 2)}\n`;
      if (UPDATE) writeFileSync(file, text);
      else if (!existsSync(file) || readFileSync(file, 'utf8') !== text) mismatched.push(tool.name);
    }
    const served = new Set(tools.map((t) => `${t.name}.json`));
    const stale = readdirSync(DIR).filter((f) => f.endsWith('.json') && !served.has(f));
    if (UPDATE) for (const f of stale) rmSync(join(DIR, f));
    expect({ changed_or_missing: mismatched, stale: UPDATE ? [] : stale }).toEqual({ changed_or_missing: [], stale: [] });
  });
});
