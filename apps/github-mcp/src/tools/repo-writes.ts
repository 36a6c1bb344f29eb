// repos toolset, the writes beyond single commits: deleting a file, forking and creating repositories.
import { z } from '@factory/base-server';
import { CHANGE, CREATE, branchName, filePath, gitSha, githubTool, owner, repoArgs, type GithubTool, type ToolDeps } from './common.js';

const repoOut = z.object({ full_name: z.string(), html_url: z.string(), default_branch: z.string().nullable(), private: z.boolean() });
const repoSummary = (r: { full_name: string; html_url: string; default_branch?: string | null; private: boolean }) => ({
  full_name: r.full_name,
  html_url: r.html_url,
  default_branch: r.default_branch ?? null,
  private: r.private,
});

export function repoWriteTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('repos', {
      name: 'delete_file',
      title: 'Delete a file',
      description: 'Deletes one file from a branch in a new commit. sha is the file\'s current blob sha (from get_file_contents), so a file changed since you read it is not deleted.',
      inputSchema: z.object({
        ...repoArgs,
        path: filePath.refine((p) => p !== '', 'a file path is required'),
        message: z.string().min(1).max(5000).describe('Commit message'),
        sha: gitSha.describe('Blob sha of the file'),
        branch: branchName.optional().describe('Default: the default branch'),
      }),
      outputSchema: z.object({ path: z.string(), commit_sha: z.string(), html_url: z.string().nullable() }),
      annotations: CHANGE,
      handler: async ({ owner, repo, path, message, sha, branch }) => {
        const { data } = await octokit.rest.repos.deleteFile({ owner, repo, path, message, sha, ...(branch ? { branch } : {}) });
        return { path, commit_sha: data.commit.sha ?? '', html_url: data.commit.html_url ?? null };
      },
    }),

    githubTool('repos', {
      name: 'fork_repository',
      title: 'Fork a repository',
      description: 'Forks a repository into your account or an organization. GitHub creates the fork asynchronously; forking again returns the existing fork.',
      inputSchema: z.object({ ...repoArgs, organization: owner.optional().describe('Organization to fork into (default: your account)') }),
      outputSchema: repoOut,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      handler: async ({ owner, repo, organization }) => {
        const { data } = await octokit.rest.repos.createFork({ owner, repo, ...(organization ? { organization } : {}) });
        return repoSummary(data);
      },
    }),

    githubTool('repos', {
      name: 'create_repository',
      title: 'Create a repository',
      description: 'Creates a repository in your account, or in organization. auto_init adds a README so the repository has a default branch to branch from.',
      inputSchema: z.object({
        name: repoArgs.repo.describe('Name of the new repository'),
        organization: owner.optional().describe('Organization to create it in (default: your account)'),
        description: z.string().max(350).optional(),
        private: z.boolean().default(true),
        auto_init: z.boolean().default(false),
      }),
      outputSchema: repoOut,
      annotations: CREATE,
      handler: async ({ organization, ...fields }) => {
        const { data } = organization
          ? await octokit.rest.repos.createInOrg({ org: organization, ...fields })
          : await octokit.rest.repos.createForAuthenticatedUser(fields);
        return repoSummary(data);
      },
    }),
  ];
}
