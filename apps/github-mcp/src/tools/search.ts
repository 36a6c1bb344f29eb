// search toolset: code and repositories across GitHub; and commit search, which the repos toolset carries.
import { z } from '@factory/base-server';
import { READ, clip, githubTool, login, pageInfo, pageOutput, searchArguments, searchResult, sortedSearchArguments, type GithubTool, type ToolDeps } from './common.js';

export function searchTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('search', {
      name: 'search_code',
      title: 'Search code',
      description:
        'Searches file contents on the default branches of GitHub repositories with GitHub code search syntax, e.g. "createServer repo:octo/app language:ts" or "TODO path:src org:octo". Returns matching files with short matched fragments. Paginated.',
      inputSchema: searchArguments('GitHub code search query'),
      outputSchema: searchResult(z.object({ repository: z.string(), path: z.string(), sha: z.string(), html_url: z.string(), fragments: z.array(z.string()) })),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.search.code({
          q: args.query,
          page: args.page,
          per_page: args.per_page,
          headers: { accept: 'application/vnd.github.text-match+json' },
        });
        return {
          total_count: data.total_count,
          incomplete_results: data.incomplete_results,
          items: data.items.map((i) => ({
            repository: i.repository.full_name,
            path: i.path,
            sha: i.sha,
            html_url: i.html_url,
            fragments: (i.text_matches ?? []).slice(0, 3).map((m) => (m.fragment ?? '').slice(0, 300)),
          })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('repos', {
      name: 'search_commits',
      title: 'Search commits',
      description: 'Finds commits on default branches with GitHub commit search syntax, e.g. "repo:octo/app fix login" or "author:octocat committer-date:>2026-01-01". Paginated.',
      inputSchema: sortedSearchArguments('GitHub commit search query', ['author-date', 'committer-date']),
      outputSchema: z.object({
        total_count: z.number(),
        items: z.array(z.object({ repository: z.string(), sha: z.string(), message: z.string(), author: z.string().nullable(), date: z.string().nullable(), html_url: z.string() })),
        ...pageOutput,
      }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.search.commits({ q: args.query, order: args.order, page: args.page, per_page: args.per_page, ...(args.sort ? { sort: args.sort } : {}) });
        return {
          total_count: data.total_count,
          items: data.items.map((c) => ({
            repository: c.repository.full_name,
            sha: c.sha,
            message: clip(c.commit.message, 1000),
            author: login(c.author) ?? c.commit.author?.name ?? null,
            date: c.commit.author?.date ?? null,
            html_url: c.html_url,
          })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('search', {
      name: 'search_repositories',
      title: 'Search repositories',
      description: 'Finds repositories with GitHub search syntax, e.g. "mcp server language:typescript stars:>100" or "org:octo topic:cli". Paginated.',
      inputSchema: sortedSearchArguments('GitHub repository search query', ['stars', 'forks', 'help-wanted-issues', 'updated']),
      outputSchema: searchResult(
        z.object({
          full_name: z.string(),
          description: z.string().nullable(),
          language: z.string().nullable(),
          stargazers_count: z.number(),
          archived: z.boolean(),
          updated_at: z.string(),
          html_url: z.string(),
        }),
      ),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.search.repos({
          q: args.query,
          order: args.order,
          page: args.page,
          per_page: args.per_page,
          ...(args.sort ? { sort: args.sort } : {}),
        });
        return {
          total_count: data.total_count,
          incomplete_results: data.incomplete_results,
          items: data.items.map((r) => ({
            full_name: r.full_name,
            description: r.description ?? null,
            language: r.language ?? null,
            stargazers_count: r.stargazers_count,
            archived: r.archived,
            updated_at: r.updated_at,
            html_url: r.html_url,
          })),
          ...pageInfo(args, headers),
        };
      },
    }),
  ];
}
