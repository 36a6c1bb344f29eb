// github-mcp: the GitHub tools agents use every day, as an MCP server on base-server.
import { ConfigError, ToolView, createService, packageVersion, type Logger, type Service, createLogger } from '@factory/base-server';
import type { GithubConfig } from './config.js';
import { createGithubClient, createTokenProvider, type GithubClient } from './github/client.js';
import type { TokenProvider } from './github/app-auth.js';
import { githubChecks } from './github/readiness.js';
import { allGithubTools, selectTools } from './tools/catalog.js';
import { withoutGithubCredentials, type GithubTool } from './tools/common.js';
import { DISCOVERY_TOOL_NAMES, dynamicToolsetTools } from './tools/dynamic-toolsets.js';

export { parseGithubConfig } from './config.js';
export const SERVICE_NAME = 'github-mcp';
export const SERVICE_VERSION = packageVersion(import.meta.url);

export interface GithubServiceDeps {
  logger?: Logger;
  /** Credentials source (default: from config: GITHUB_TOKEN, or the GitHub App settings). */
  tokens?: TokenProvider;
  /** A ready Octokit client (default: built from config with throttling and retry). */
  octokit?: GithubClient;
  /** Clock for the App token cache. */
  now?: () => number;
  stdio?: boolean;
}

export interface GithubService extends Service {
  octokit: GithubClient;
  tokens: TokenProvider;
  /** The tools this configuration registers, with their toolsets (in dynamic mode: those that can be enabled). */
  githubTools: GithubTool[];
  /** Dynamic toolsets: the tools the connection sees now (undefined without GITHUB_DYNAMIC_TOOLSETS). */
  toolView: ToolView | undefined;
}

export function createGithubService(config: GithubConfig, deps: GithubServiceDeps = {}): GithubService {
  const logger = deps.logger ?? createLogger({ service: SERVICE_NAME, version: SERVICE_VERSION, level: config.LOG_LEVEL, format: config.LOG_FORMAT, stdio: deps.stdio ?? false });
  const tokens = deps.tokens ?? createTokenProvider(config, logger, deps.now);
  const octokit = deps.octokit ?? createGithubClient(config, logger, tokens);
  const dynamic = config.GITHUB_DYNAMIC_TOOLSETS;
  if (dynamic && !deps.stdio) {
    throw new ConfigError(
      'Invalid configuration: GITHUB_DYNAMIC_TOOLSETS: served over stdio only (--stdio): over HTTP any replica may answer a request, so the toolsets a caller enabled would not follow it; choose the tools with GITHUB_TOOLSETS instead',
    );
  }
  const githubTools = selectTools(allGithubTools({ octokit }), {
    toolsets: config.GITHUB_TOOLSETS,
    allow: config.GITHUB_TOOLS_ALLOW,
    deny: config.GITHUB_TOOLS_DENY,
    readOnly: config.GITHUB_READ_ONLY,
  }).map((t) => (tokens.kind === 'none' ? withoutGithubCredentials(t) : t));
  // Dynamic mode registers the same selection but shows, at first, only the discovery tools and the
  // allow-listed tools; enable_toolset shows a toolset's share of the selection.
  const allowed = new Set(config.GITHUB_TOOLS_ALLOW);
  const toolView = dynamic
    ? new ToolView([...DISCOVERY_TOOL_NAMES, ...githubTools.filter((t) => allowed.has(t.tool.name)).map((t) => t.tool.name)])
    : undefined;
  const discovery = toolView ? dynamicToolsetTools(githubTools.filter((t) => !allowed.has(t.tool.name)), toolView) : [];
  const service = createService({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'MCP server over the GitHub REST API',
    config,
    logger,
    ...(deps.stdio ? { stdio: true } : {}),
    tools: [...discovery, ...githubTools.map((t) => t.tool)],
    ...(toolView ? { toolView } : {}),
    instructions:
      'GitHub tools: repositories, files, branches, commits, issues, pull requests' +
      (config.GITHUB_READ_ONLY ? ' (read-only mode: nothing can be changed)' : '') +
      '. List and search tools are paginated: when has_more is true, call again with page + 1. Call get_me to learn whose permissions apply.' +
      (toolView ? ' Few tools are enabled at first: call list_available_toolsets, then enable_toolset for the GitHub tools the task needs.' : ''),
    checks: githubChecks({
      octokit,
      tokens,
      warnRemaining: config.GITHUB_RATE_LIMIT_WARN_REMAINING,
      minIntervalMs: config.GITHUB_READY_MIN_INTERVAL_MS,
    }),
  });
  logger.info(
    { toolsets: config.GITHUB_TOOLSETS, dynamic, readOnly: config.GITHUB_READ_ONLY, tools: githubTools.length, auth: tokens.kind },
    'github-mcp configured',
  );
  if (tokens.kind === 'none') {
    logger.warn('NO GITHUB CREDENTIALS: set GITHUB_TOKEN or the GITHUB_APP_* settings; calls are unauthenticated (public data, 60 requests/hour) and /ready answers 503');
  }
  return Object.assign(service, { octokit, tokens, githubTools, toolView });
}
