// search_issues and search_pull_requests: GitHub's one issue search, narrowed to one kind each.
import { z } from '@factory/base-server';
import type { Toolset } from '../config.js';
import { READ, githubTool, login, pageInfo, searchResult, sortedSearchArguments, userOut, type GithubTool, type ToolDeps } from './common.js';

const KIND_QUALIFIER = /(^|\s)(is|type):(issue|pr|pull-request)\b/i;

export function issueSearchTool({ octokit }: ToolDeps, toolset: Toolset, kind: 'issue' | 'pr'): GithubTool {
  const what = kind === 'issue' ? 'issues' : 'pull requests';
  return githubTool(toolset, {
    name: kind === 'issue' ? 'search_issues' : 'search_pull_requests',
    title: `Search ${what}`,
    description:
      `Searches ${what} across GitHub with GitHub search syntax (is:${kind} is added unless the query names a kind), e.g. ` +
      (kind === 'issue' ? '"repo:octo/app is:open label:bug crash".' : '"repo:octo/app is:open review-requested:@me" or "author:octocat is:merged".') +
      ' Paginated (at most 1000 results).',
    inputSchema: sortedSearchArguments('GitHub search query', ['comments', 'reactions', 'created', 'updated']),
    outputSchema: searchResult(
      z.object({
        repository: z.string(),
        number: z.number(),
        title: z.string(),
        state: z.string(),
        is_pull_request: z.boolean(),
        user: userOut,
        updated_at: z.string(),
        html_url: z.string(),
      }),
    ),
    annotations: READ,
    handler: async (args) => {
      const { data, headers } = await octokit.rest.search.issuesAndPullRequests({
        q: KIND_QUALIFIER.test(args.query) ? args.query : `is:${kind} ${args.query}`,
        order: args.order,
        page: args.page,
        per_page: args.per_page,
        ...(args.sort ? { sort: args.sort } : {}),
      });
      return {
        total_count: data.total_count,
        incomplete_results: data.incomplete_results,
        items: data.items.map((i) => ({
          repository: i.repository_url.split('/repos/')[1] ?? i.repository_url,
          number: i.number,
          title: i.title,
          state: i.state,
          is_pull_request: Boolean(i.pull_request),
          user: login(i.user),
          updated_at: i.updated_at,
          html_url: i.html_url,
        })),
        ...pageInfo(args, headers),
      };
    },
  });
}
