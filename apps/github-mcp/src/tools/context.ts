// context toolset: who the server acts as.
import { z } from '@factory/base-server';
import { READ, githubTool, type GithubTool, type ToolDeps } from './common.js';

export function contextTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('context', {
      name: 'get_me',
      title: 'Get the authenticated GitHub user',
      description:
        'Returns the GitHub account this server acts as (login, name, profile URL) and the OAuth scopes of its token. Use it first to learn whose permissions apply, or to resolve "my" in requests such as "my pull requests".',
      inputSchema: z.object({}),
      outputSchema: z.object({
        login: z.string(),
        name: z.string().nullable(),
        type: z.string(),
        html_url: z.string(),
        email: z.string().nullable(),
        company: z.string().nullable(),
        public_repos: z.number().nullable(),
        scopes: z.array(z.string()).nullable().describe('Token scopes (classic tokens); null when GitHub does not report them'),
      }),
      annotations: READ,
      handler: async () => {
        const { data, headers } = await octokit.rest.users.getAuthenticated();
        const scopes = headers['x-oauth-scopes'];
        return {
          login: data.login,
          name: data.name ?? null,
          type: data.type,
          html_url: data.html_url,
          email: data.email ?? null,
          company: data.company ?? null,
          public_repos: data.public_repos ?? null,
          scopes: typeof scopes === 'string' ? scopes.split(',').map((s) => s.trim()).filter(Boolean) : null,
        };
      },
    }),
  ];
}
