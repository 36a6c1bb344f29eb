// github-mcp: what `tools/list` costs in an agent's context for each toolset configuration, measured
// on the wire (the JSON a client receives) with gpt-tokenizer (o200k_base), next to the default
// configuration (context, repos, issues, pull_requests) as a ratio.
import { countTokens } from 'gpt-tokenizer';
import { startServer, MCP_HEADERS } from './lib/harness.mjs';

const CONFIGS = [
  ['default (context,repos,issues,pull_requests)', {}],
  ['context', { GITHUB_TOOLSETS: 'context' }],
  ['repos', { GITHUB_TOOLSETS: 'repos' }],
  ['issues', { GITHUB_TOOLSETS: 'issues' }],
  ['pull_requests', { GITHUB_TOOLSETS: 'pull_requests' }],
  ['actions', { GITHUB_TOOLSETS: 'actions' }],
  ['releases', { GITHUB_TOOLSETS: 'releases' }],
  ['search', { GITHUB_TOOLSETS: 'search' }],
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
    const { result } = await res.json();
    return result.tools;
  } finally {
    await srv.stop();
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
const base = results[0][1];
for (const [label, m] of results) {
  console.log(
    `${label.padEnd(46)} ${String(m.tools).padStart(3)} tools ${String(m.tokens).padStart(7)} tokens ${String(m.bytes).padStart(7)} bytes   vs default: ${String(base.tokens).padStart(6)} tokens   ratio ${(m.tokens / base.tokens).toFixed(2)}x`,
  );
}
const perTool = allTools.map((t) => [t.name, countTokens(JSON.stringify(t))]).sort((a, b) => b[1] - a[1]);
const avg = perTool.reduce((s, [, n]) => s + n, 0) / perTool.length;
console.log(`  per tool: mean ${avg.toFixed(0)} tokens; largest ${perTool.slice(0, 3).map(([n, c]) => `${n} ${c}`).join(', ')}; smallest ${perTool.slice(-2).map(([n, c]) => `${n} ${c}`).join(', ')}`);
