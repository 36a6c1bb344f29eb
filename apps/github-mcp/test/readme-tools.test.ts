// The README's tool table (apps/github-mcp/README.md, "## Tools") checked against the code: one row per
// served tool (the dynamic-mode discovery tools included), in its toolset, with its token cost — the
// o200k tokens of the tool as tools/list serves it, counted from its snapshot (test/__toolsnaps__,
// which toolsnaps.test.ts keeps equal to what is served). UPDATE_TOOLSNAPS=1 rewrites the token column.
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer';
import { createLogger } from '@factory/base-server';
import { createGithubService } from '../src/app.js';
import { DISCOVERY_TOOL_NAMES } from '../src/tools/dynamic-toolsets.js';
import { testConfig } from './helpers.js';

const README = new URL('../README.md', import.meta.url);
const SNAPS = new URL('./__toolsnaps__/', import.meta.url);
const ROW = /^\| ([a-z_]+) \| (?:✎ )?`([a-z_]+)` \| (\d+) \| (.+) \|$/;

/** Every served tool: its toolset and the tokens of its tools/list entry. */
function servedTools(): Map<string, { toolset: string; tokens: number }> {
  const toolsets = new Map<string, string>(createGithubService(testConfig({ GITHUB_TOOLSETS: 'all' }), { logger: createLogger({ service: 'github-mcp', version: 'test', level: 'silent' }) }).githubTools.map((t) => [t.tool.name, t.toolset]));
  for (const name of DISCOVERY_TOOL_NAMES) toolsets.set(name, 'dynamic');
  const served = new Map<string, { toolset: string; tokens: number }>();
  for (const file of readdirSync(SNAPS).filter((f) => f.endsWith('.json'))) {
    const tool = JSON.parse(readFileSync(new URL(file, SNAPS), 'utf8')) as { name: string };
    served.set(tool.name, { toolset: toolsets.get(tool.name) ?? '(no toolset)', tokens: countTokens(JSON.stringify(tool)) });
  }
  return served;
}

describe('README tool table', () => {
  it('lists every served tool once, in its toolset, with its token cost (UPDATE_TOOLSNAPS=1 rewrites the costs)', () => {
    const served = servedTools();
    let text = readFileSync(README, 'utf8');
    const section = text.slice(text.indexOf('\n## Tools\n'), text.indexOf('\n## ', text.indexOf('\n## Tools\n') + 1));
    const rows = section.split('\n').flatMap((line) => {
      const m = ROW.exec(line);
      return m ? [{ line, toolset: m[1]!, name: m[2]!, tokens: Number(m[3]) }] : [];
    });
    if (process.env.UPDATE_TOOLSNAPS === '1') {
      for (const row of rows) {
        const tokens = served.get(row.name)?.tokens;
        if (tokens !== undefined) text = text.replace(row.line, row.line.replace(` | ${row.tokens} | `, ` | ${tokens} | `));
      }
      writeFileSync(README, text);
      for (const row of rows) row.tokens = served.get(row.name)?.tokens ?? row.tokens;
    }
    const listed = rows.map((r) => r.name);
    expect({
      missing: [...served.keys()].filter((n) => !listed.includes(n)),
      unknown_or_repeated: listed.filter((n, i) => !served.has(n) || listed.indexOf(n) !== i),
      wrong: rows.filter((r) => served.has(r.name) && (served.get(r.name)!.toolset !== r.toolset || served.get(r.name)!.tokens !== r.tokens)).map((r) => ({ tool: r.name, readme: `${r.toolset} ${r.tokens}`, served: `${served.get(r.name)!.toolset} ${served.get(r.name)!.tokens}` })),
    }).toEqual({ missing: [], unknown_or_repeated: [], wrong: [] });
  });
});
