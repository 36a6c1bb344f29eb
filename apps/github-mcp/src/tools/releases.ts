// releases toolset, and the tag list of the repos toolset.
import { z } from '@factory/base-server';
import { CREATE, READ, clip, gitRef, gitRefName, githubTool, login, pageInfo, pageOutput, pagination, repoArgs, userOut, type GithubTool, type ToolDeps } from './common.js';

const release = z.object({
  id: z.number(),
  tag_name: z.string(),
  name: z.string().nullable(),
  draft: z.boolean(),
  prerelease: z.boolean(),
  author: userOut,
  published_at: z.string().nullable(),
  html_url: z.string(),
});

interface RawRelease {
  id: number;
  tag_name: string;
  name: string | null;
  draft: boolean;
  prerelease: boolean;
  author?: { login?: string } | null;
  published_at: string | null;
  html_url: string;
}
const summarize = (r: RawRelease) => ({
  id: r.id,
  tag_name: r.tag_name,
  name: r.name,
  draft: r.draft,
  prerelease: r.prerelease,
  author: login(r.author),
  published_at: r.published_at,
  html_url: r.html_url,
});

export function releaseTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('releases', {
      name: 'list_releases',
      title: 'List releases',
      description: 'Lists a repository\'s releases, newest first, with tag, name, draft/prerelease flags and publish date (bodies left out). Paginated.',
      inputSchema: z.object({ ...repoArgs, ...pagination }),
      outputSchema: z.object({ releases: z.array(release), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.repos.listReleases({ owner: args.owner, repo: args.repo, page: args.page, per_page: args.per_page });
        return { releases: data.map(summarize), ...pageInfo(args, headers) };
      },
    }),

    githubTool('releases', {
      name: 'get_release_by_tag',
      title: 'Get a release by tag',
      description: 'Returns the release of a tag with its notes (cut to 20000 characters), e.g. to read what changed in "v1.2.0".',
      inputSchema: z.object({ ...repoArgs, tag: gitRefName.describe('Tag, e.g. "v1.2.0"') }),
      outputSchema: release.extend({ body: z.string(), target_commitish: z.string() }),
      annotations: READ,
      handler: async ({ owner, repo, tag }) => {
        const { data } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
        return { ...summarize(data), body: clip(data.body, 20_000), target_commitish: data.target_commitish };
      },
    }),

    githubTool('repos', {
      name: 'list_tags',
      title: 'List tags',
      description: 'Lists a repository\'s tags with the commit each points to, newest first. Paginated.',
      inputSchema: z.object({ ...repoArgs, ...pagination }),
      outputSchema: z.object({ tags: z.array(z.object({ name: z.string(), sha: z.string() })), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.repos.listTags({ owner: args.owner, repo: args.repo, page: args.page, per_page: args.per_page });
        return { tags: data.map((t) => ({ name: t.name, sha: t.commit.sha })), ...pageInfo(args, headers) };
      },
    }),

    githubTool('releases', {
      name: 'create_release',
      title: 'Create a release',
      description:
        'Creates a release for a tag; the tag is created from target_commitish when it does not exist. Use draft to prepare it without publishing, generate_release_notes to let GitHub write the notes.',
      inputSchema: z.object({
        ...repoArgs,
        tag_name: gitRefName.describe('Tag, e.g. "v1.2.0"'),
        target_commitish: gitRef.optional().describe('Branch or SHA for a new tag (default: the default branch)'),
        name: z.string().max(250).optional(),
        body: z.string().max(125_000).optional().describe('Release notes (Markdown)'),
        draft: z.boolean().default(false),
        prerelease: z.boolean().default(false),
        generate_release_notes: z.boolean().default(false),
      }),
      outputSchema: release,
      annotations: CREATE,
      handler: async ({ owner, repo, ...fields }) => {
        const { data } = await octokit.rest.repos.createRelease({ owner, repo, ...fields });
        return summarize(data);
      },
    }),
  ];
}
