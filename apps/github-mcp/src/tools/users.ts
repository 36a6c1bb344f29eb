// users toolset: finding people and the teams they work in (for reviewers, assignees, mentions).
import { z } from '@factory/base-server';
import { READ, checkedString, githubTool, owner, pageInfo, pageOutput, pagination, searchArguments, type GithubTool, type ToolDeps } from './common.js';

const teamSlug = checkedString((s) => /^[a-z0-9][a-z0-9_-]{0,99}$/.test(s), 'a team slug such as "platform-team"').describe('Team slug, e.g. "platform-team"');

export function userTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('users', {
      name: 'search_users',
      title: 'Search users',
      description: 'Finds GitHub users and organizations with GitHub search syntax, e.g. "jane in:name" or "location:berlin language:go". Paginated.',
      inputSchema: searchArguments('GitHub user search query'),
      outputSchema: z.object({ total_count: z.number(), items: z.array(z.object({ login: z.string(), type: z.string(), html_url: z.string() })), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.search.users({ q: args.query, page: args.page, per_page: args.per_page });
        return { total_count: data.total_count, items: data.items.map((u) => ({ login: u.login, type: u.type, html_url: u.html_url })), ...pageInfo(args, headers) };
      },
    }),

    githubTool('users', {
      name: 'get_teams',
      title: 'List your teams',
      description: 'Lists the teams the server\'s account belongs to, across organizations, with the org and slug get_team_members takes. Paginated.',
      inputSchema: z.object(pagination),
      outputSchema: z.object({ teams: z.array(z.object({ org: z.string(), slug: z.string(), name: z.string(), description: z.string().nullable() })), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.teams.listForAuthenticatedUser({ page: args.page, per_page: args.per_page });
        return {
          teams: data.map((t) => ({ org: t.organization.login, slug: t.slug, name: t.name, description: t.description ?? null })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('users', {
      name: 'get_team_members',
      title: 'List team members',
      description: 'Lists the logins of a team\'s members (needs read:org). Paginated.',
      inputSchema: z.object({ org: owner.describe('Organization login'), team_slug: teamSlug, ...pagination }),
      outputSchema: z.object({ members: z.array(z.string()), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.teams.listMembersInOrg({ org: args.org, team_slug: args.team_slug, page: args.page, per_page: args.per_page });
        return { members: data.map((m) => m.login), ...pageInfo(args, headers) };
      },
    }),
  ];
}
