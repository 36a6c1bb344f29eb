// github-mcp: what `tools/list` costs in an agent's context for each toolset configuration, measured
// on the wire (the JSON a client receives) with gpt-tokenizer (o200k_base), next to the default
// configuration (context, repos, issues, pull_requests, users) as a ratio.
import { readFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startServer, MCP_HEADERS } from './lib/harness.mjs';

const CONFIGS = [
  ['default (context,repos,issues,pull_requests,users)', {}],
  ['context', { GITHUB_TOOLSETS: 'context' }],
  ['repos', { GITHUB_TOOLSETS: 'repos' }],
  ['issues', { GITHUB_TOOLSETS: 'issues' }],
  ['pull_requests', { GITHUB_TOOLSETS: 'pull_requests' }],
  ['actions', { GITHUB_TOOLSETS: 'actions' }],
  ['releases', { GITHUB_TOOLSETS: 'releases' }],
  ['search', { GITHUB_TOOLSETS: 'search' }],
  ['users', { GITHUB_TOOLSETS: 'users' }],
  ['labels', { GITHUB_TOOLSETS: 'labels' }],
  ['default, read-only', { GITHUB_READ_ONLY: 'true' }],
  ['all', { GITHUB_TOOLSETS: 'all' }],
  ['all, read-only', { GITHUB_TOOLSETS: 'all', GITHUB_READ_ONLY: 'true' }],
];

async function toolsList(env) {
  const srv = await startServer('github-mcp-server.mjs', [], env);
  try {
    const res = await fetch(`http://127.0.0.1:${srv.port}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    if (!res.ok) throw new Error(`tools/list answered ${res.status}`);
    // The SDK may answer as one SSE event; the JSON-RPC message is its data line.
    const body = await res.text();
    const json = res.headers.get('content-type')?.includes('text/event-stream') ? body.split('\n').find((l) => l.startsWith('data:')).slice(5) : body;
    const { result } = JSON.parse(json);
    return result.tools;
  } finally {
    await srv.stop();
  }
}

/** tools/list of github-mcp over stdio (dynamic toolsets are served over stdio only), as a client spawns it. */
async function toolsListStdio(env) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [fileURLToPath(new URL('../apps/github-mcp/dist/index.js', import.meta.url)), '--stdio'],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', GITHUB_TOKEN: 'ghp_bench', ...env },
    stderr: 'ignore',
  });
  await client.connect(transport);
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
  }
}

const measure = (tools) => {
  const json = JSON.stringify(tools);
  return { tools: tools.length, tokens: countTokens(json), bytes: Buffer.byteLength(json) };
};

console.log('## github-mcp: tools/list token cost (gpt-tokenizer o200k_base, JSON of the tools array)');
const results = [];
let allTools = [];
for (const [label, env] of CONFIGS) {
  const tools = await toolsList(env);
  if (label === 'all') allTools = tools;
  results.push([label, measure(tools)]);
}
// Dynamic toolsets: what a client holds at start (the discovery tools), and after enabling one toolset.
results.push(['dynamic (stdio), at start', measure(await toolsListStdio({ GITHUB_DYNAMIC_TOOLSETS: 'true' }))]);
const base = results[0][1];
for (const [label, m] of results) {
  console.log(
    `${label.padEnd(46)} ${String(m.tools).padStart(3)} tools ${String(m.tokens).padStart(7)} tokens ${String(m.bytes).padStart(7)} bytes   vs default: ${String(base.tokens).padStart(6)} tokens   ratio ${(m.tokens / base.tokens).toFixed(2)}x`,
  );
}
const perTool = allTools.map((t) => [t.name, countTokens(JSON.stringify(t))]).sort((a, b) => b[1] - a[1]);
const avg = perTool.reduce((s, [, n]) => s + n, 0) / perTool.length;
console.log(`  per tool: mean ${avg.toFixed(0)} tokens; largest ${perTool.slice(0, 3).map(([n, c]) => `${n} ${c}`).join(', ')}; smallest ${perTool.slice(-2).map(([n, c]) => `${n} ${c}`).join(', ')}`);

// The same capabilities on the official server (github/github-mcp-server), from its tool snapshots at
// the commit the fixture names: each of our tools next to the official tools that do the same. Ours
// without an official counterpart (get_repository, create_release) are left out of the comparison.
const official = JSON.parse(readFileSync(new URL('./fixtures/github-mcp-server-toolsnaps.json', import.meta.url), 'utf8'));
const SAME = {
  get_me: ['get_me'],
  list_branches: ['list_branches'],
  create_branch: ['create_branch'],
  get_file_contents: ['get_file_contents'],
  create_or_update_file: ['create_or_update_file'],
  push_files: ['push_files'],
  delete_file: ['delete_file'],
  list_commits: ['list_commits'],
  get_commit: ['get_commit'],
  search_commits: ['search_commits'],
  list_tags: ['list_tags'],
  fork_repository: ['fork_repository'],
  create_repository: ['create_repository'],
  list_issues: ['list_issues'],
  issue_read: ['issue_read'],
  issue_write: ['issue_write'],
  sub_issue_write: ['sub_issue_write'],
  add_issue_comment: ['add_issue_comment'],
  search_issues: ['search_issues'],
  list_pull_requests: ['list_pull_requests'],
  pull_request_read: ['pull_request_read'],
  search_pull_requests: ['search_pull_requests'],
  create_pull_request: ['create_pull_request'],
  update_pull_request: ['update_pull_request'],
  update_pull_request_branch: ['update_pull_request_branch'],
  merge_pull_request: ['merge_pull_request'],
  pull_request_review_write: ['pull_request_review_write', 'add_comment_to_pending_review', 'add_reply_to_pull_request_comment'],
  search_users: ['search_users'],
  get_teams: ['get_teams'],
  get_team_members: ['get_team_members'],
  list_labels: ['list_label'],
  label_write: ['label_write'],
  list_workflow_runs: ['actions_list'],
  get_workflow_run: ['actions_get'],
  rerun_workflow_run: ['actions_run_trigger'],
  get_job_logs: ['get_job_logs'],
  list_releases: ['list_releases'],
  get_release_by_tag: ['get_release_by_tag'],
  search_code: ['search_code'],
  search_repositories: ['search_repositories'],
};
const ours = new Map(perTool);
let mine = 0;
const theirs = new Set();
for (const [tool, counterparts] of Object.entries(SAME)) {
  if (!ours.has(tool)) throw new Error(`bench: ${tool} is not served any more; update SAME`);
  mine += ours.get(tool);
  for (const c of counterparts) {
    if (official.tokens[c] === undefined) throw new Error(`bench: the official fixture has no ${c}`);
    theirs.add(c);
  }
}
const theirTokens = [...theirs].reduce((s, c) => s + official.tokens[c], 0);
console.log(
  `same capabilities (${Object.keys(SAME).length} of our tools, ${theirs.size} official at ${official.commit.slice(0, 12)}): ours ${mine} tokens, theirs ${theirTokens} tokens, ratio ${(mine / theirTokens).toFixed(2)}x (goal <= 0.80x)`,
);
console.log('  per tool (ours / theirs):');
for (const [tool, counterparts] of Object.entries(SAME)) {
  const t = counterparts.reduce((s, c) => s + official.tokens[c], 0);
  console.log(`    ${tool.padEnd(28)} ${String(ours.get(tool)).padStart(5)} / ${String(t).padStart(5)}  (${counterparts.join(', ')})`);
}
