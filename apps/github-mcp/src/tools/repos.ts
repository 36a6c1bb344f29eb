// repos toolset: repositories, branches, files and commits.
import { z } from '@factory/base-server';
import { READ, isoTime, branchName, clip, filePath, gitRef, gitSha, githubTool, login, pageInfo, pageOutput, pagination, repoArgs, type GithubTool, type ToolDeps } from './common.js';

const MAX_FILE_BYTES = 1_000_000;

/** Decodes base64 file content; undefined when it is not UTF-8 text (a binary file). */
function decodeText(base64: string): string | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

const commitSummary = z.object({
  sha: z.string(),
  message: z.string(),
  author: z.string().nullable().describe('GitHub login of the author, or the git author name'),
  date: z.string().nullable(),
  html_url: z.string(),
});

export function repoTools({ octokit }: ToolDeps): GithubTool[] {
  const defaultBranch = async (owner: string, repo: string) => (await octokit.rest.repos.get({ owner, repo })).data.default_branch;

  return [
    githubTool('repos', {
      name: 'get_repository',
      title: 'Get a repository',
      description: 'Returns a repository\'s key facts: description, visibility, default branch, language, topics, stars, open issues and your permissions. Use it to learn the default branch before creating branches or pull requests.',
      inputSchema: z.object(repoArgs),
      outputSchema: z.object({
        full_name: z.string(),
        description: z.string().nullable(),
        visibility: z.string().nullable(),
        default_branch: z.string(),
        language: z.string().nullable(),
        topics: z.array(z.string()),
        stargazers_count: z.number(),
        forks_count: z.number(),
        open_issues_count: z.number(),
        archived: z.boolean(),
        fork: z.boolean(),
        license: z.string().nullable(),
        permissions: z.object({ admin: z.boolean(), push: z.boolean(), pull: z.boolean() }).nullable(),
        html_url: z.string(),
        pushed_at: z.string().nullable(),
      }),
      annotations: READ,
      handler: async ({ owner, repo }) => {
        const { data: r } = await octokit.rest.repos.get({ owner, repo });
        return {
          full_name: r.full_name,
          description: r.description ?? null,
          visibility: r.visibility ?? (r.private ? 'private' : 'public'),
          default_branch: r.default_branch,
          language: r.language ?? null,
          topics: r.topics ?? [],
          stargazers_count: r.stargazers_count,
          forks_count: r.forks_count,
          open_issues_count: r.open_issues_count,
          archived: r.archived,
          fork: r.fork,
          license: r.license?.spdx_id ?? null,
          permissions: r.permissions ? { admin: r.permissions.admin, push: r.permissions.push, pull: r.permissions.pull } : null,
          html_url: r.html_url,
          pushed_at: r.pushed_at ?? null,
        };
      },
    }),

    githubTool('repos', {
      name: 'list_branches',
      title: 'List branches',
      description: 'Lists a repository\'s branches with their head commit SHA and whether they are protected. Paginated: when has_more is true, call again with the next page.',
      inputSchema: z.object({ ...repoArgs, protected_only: z.boolean().default(false).describe('Only protected branches'), ...pagination }),
      outputSchema: z.object({ branches: z.array(z.object({ name: z.string(), sha: z.string(), protected: z.boolean() })), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.repos.listBranches({
          owner: args.owner,
          repo: args.repo,
          page: args.page,
          per_page: args.per_page,
          ...(args.protected_only ? { protected: true } : {}),
        });
        return { branches: data.map((b) => ({ name: b.name, sha: b.commit.sha, protected: b.protected })), ...pageInfo(args, headers) };
      },
    }),

    githubTool('repos', {
      name: 'create_branch',
      title: 'Create a branch',
      description:
        'Creates a new branch pointing at an existing branch\'s head (from_branch) or at a commit (from_sha); with neither, it starts from the default branch. Fails if the branch already exists.',
      inputSchema: z
        .object({
          ...repoArgs,
          branch: branchName,
          from_branch: branchName.optional().describe('Branch to start from (default: the repository\'s default branch)'),
          from_sha: gitSha.optional().describe('Commit SHA to start from, instead of from_branch'),
        })
        .refine((a) => !(a.from_branch && a.from_sha), { message: 'give from_branch or from_sha, not both', path: ['from_sha'] }),
      outputSchema: z.object({ branch: z.string(), ref: z.string(), sha: z.string() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async ({ owner, repo, branch, from_branch, from_sha }) => {
        let sha = from_sha;
        if (!sha) {
          const base = from_branch ?? (await defaultBranch(owner, repo));
          sha = (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${base}` })).data.object.sha;
        }
        const { data } = await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
        return { branch, ref: data.ref, sha: data.object.sha };
      },
    }),

    githubTool('repos', {
      name: 'get_file_contents',
      title: 'Get file or directory contents',
      description:
        'Reads a text file (returned as content) or lists a directory (returned as entries) at a branch, tag or commit. Binary files and files larger than max_bytes come back as metadata only (size, sha, URL) with omitted_reason. Use path "" for the repository root.',
      inputSchema: z.object({
        ...repoArgs,
        path: filePath.default(''),
        ref: gitRef.optional().describe('Branch, tag or commit SHA (default: the default branch)'),
        max_bytes: z.number().int().min(1).max(MAX_FILE_BYTES).default(100_000).describe('Largest file returned as text'),
      }),
      outputSchema: z.object({
        type: z.enum(['file', 'dir', 'symlink', 'submodule']),
        path: z.string(),
        sha: z.string().nullable(),
        size: z.number().nullable(),
        html_url: z.string().nullable(),
        content: z.string().optional().describe('The file text (files only)'),
        omitted_reason: z.string().optional().describe('Why content was left out (binary or too large)'),
        entries: z
          .array(z.object({ name: z.string(), path: z.string(), type: z.string(), size: z.number() }))
          .optional()
          .describe('Directory listing (directories only)'),
      }),
      annotations: READ,
      handler: async ({ owner, repo, path, ref, max_bytes }) => {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ...(ref ? { ref } : {}) });
        if (Array.isArray(data)) {
          return {
            type: 'dir' as const,
            path,
            sha: null,
            size: null,
            html_url: null,
            entries: data.map((e) => ({ name: e.name, path: e.path, type: e.type, size: e.size })),
          };
        }
        const base = { path: data.path, sha: data.sha, size: data.size, html_url: data.html_url ?? null };
        if (data.type !== 'file') return { type: data.type as 'symlink' | 'submodule', ...base };
        if (data.size > max_bytes) return { type: 'file' as const, ...base, omitted_reason: `file is ${data.size} bytes, above max_bytes ${max_bytes}` };
        const text = 'content' in data && data.content && data.encoding === 'base64' ? decodeText(data.content) : undefined;
        if (text === undefined) {
          const reason = 'content' in data && data.content ? 'binary file' : 'GitHub did not include the content (file too large for the contents API)';
          return { type: 'file' as const, ...base, omitted_reason: reason };
        }
        return { type: 'file' as const, ...base, content: text };
      },
    }),

    githubTool('repos', {
      name: 'create_or_update_file',
      title: 'Create or update one file',
      description:
        'Commits one text file to a branch. To update an existing file pass its current blob sha (from get_file_contents); without sha the file must not exist yet. For several files in one commit use push_files.',
      inputSchema: z.object({
        ...repoArgs,
        path: filePath.refine((p) => p !== '', 'a file path is required'),
        content: z.string().max(MAX_FILE_BYTES).describe('The complete new file text (UTF-8)'),
        message: z.string().min(1).max(5000).describe('Commit message'),
        branch: branchName.optional().describe('Branch to commit to (default: the default branch)'),
        sha: gitSha.optional().describe('Blob sha of the file being replaced; required to update an existing file'),
      }),
      outputSchema: z.object({ path: z.string(), commit_sha: z.string(), content_sha: z.string().nullable(), html_url: z.string().nullable() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async ({ owner, repo, path, content, message, branch, sha }) => {
        const { data } = await octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo,
          path,
          message,
          content: Buffer.from(content, 'utf8').toString('base64'),
          ...(branch ? { branch } : {}),
          ...(sha ? { sha } : {}),
        });
        return { path, commit_sha: data.commit.sha ?? '', content_sha: data.content?.sha ?? null, html_url: data.commit.html_url ?? null };
      },
    }),

    githubTool('repos', {
      name: 'push_files',
      title: 'Push several files in one commit',
      description:
        'Creates one commit on an existing branch that adds or replaces several text files, then moves the branch to it (fast-forward only, never a force push). Use it for multi-file changes; files not listed stay as they are.',
      inputSchema: z.object({
        ...repoArgs,
        branch: branchName.describe('Existing branch to commit to'),
        message: z.string().min(1).max(5000).describe('Commit message'),
        files: z
          .array(z.object({ path: filePath.refine((p) => p !== '', 'a file path is required'), content: z.string().max(MAX_FILE_BYTES).describe('Complete file text') }))
          .min(1)
          .max(100)
          .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, 'each path may appear only once'),
      }),
      outputSchema: z.object({ branch: z.string(), commit_sha: z.string(), html_url: z.string(), files: z.number() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async ({ owner, repo, branch, message, files }) => {
        const head = (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
        const baseTree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha;
        const tree = await octokit.rest.git.createTree({
          owner,
          repo,
          base_tree: baseTree,
          tree: files.map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content })),
        });
        const commit = await octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [head] });
        await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
        return { branch, commit_sha: commit.data.sha, html_url: commit.data.html_url, files: files.length };
      },
    }),

    githubTool('repos', {
      name: 'list_commits',
      title: 'List commits',
      description: 'Lists commits, newest first, on a branch or from a SHA, optionally only those touching a path or by an author or in a date range. Messages are cut to their first 300 characters. Paginated.',
      inputSchema: z.object({
        ...repoArgs,
        sha: gitRef.optional().describe('Branch name or commit SHA to start from (default: the default branch)'),
        path: filePath.optional().describe('Only commits touching this file or directory'),
        author: z.string().min(1).max(100).optional().describe('GitHub login or email of the author'),
        since: isoTime.optional().describe('ISO 8601 time: only commits after it'),
        until: isoTime.optional().describe('ISO 8601 time: only commits before it'),
        ...pagination,
      }),
      outputSchema: z.object({ commits: z.array(commitSummary), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { page, per_page, owner, repo, ...filters } = args;
        const { data, headers } = await octokit.rest.repos.listCommits({ owner, repo, page, per_page, ...filters });
        return {
          commits: data.map((c) => ({
            sha: c.sha,
            message: clip(c.commit.message, 300),
            author: login(c.author) ?? c.commit.author?.name ?? null,
            date: c.commit.author?.date ?? null,
            html_url: c.html_url,
          })),
          ...pageInfo(args, headers),
        };
      },
    }),

    githubTool('repos', {
      name: 'get_commit',
      title: 'Get a commit',
      description:
        'Returns one commit: full message, author, parents, line stats and changed files (first 100). Set include_patch to also get each file\'s diff, cut to 3000 characters per file.',
      inputSchema: z.object({
        ...repoArgs,
        ref: gitRef.describe('Commit SHA, branch or tag'),
        include_patch: z.boolean().default(false).describe('Include per-file diffs'),
      }),
      outputSchema: z.object({
        sha: z.string(),
        message: z.string(),
        author: z.string().nullable(),
        date: z.string().nullable(),
        parents: z.array(z.string()),
        stats: z.object({ additions: z.number(), deletions: z.number(), total: z.number() }),
        files: z.array(
          z.object({ filename: z.string(), status: z.string(), additions: z.number(), deletions: z.number(), patch: z.string().optional() }),
        ),
        files_total: z.number(),
        html_url: z.string(),
      }),
      annotations: READ,
      handler: async ({ owner, repo, ref, include_patch }) => {
        const { data: c } = await octokit.rest.repos.getCommit({ owner, repo, ref });
        const files = c.files ?? [];
        return {
          sha: c.sha,
          message: clip(c.commit.message, 5000),
          author: login(c.author) ?? c.commit.author?.name ?? null,
          date: c.commit.author?.date ?? null,
          parents: c.parents.map((p) => p.sha),
          stats: { additions: c.stats?.additions ?? 0, deletions: c.stats?.deletions ?? 0, total: c.stats?.total ?? 0 },
          files: files.slice(0, 100).map((f) => ({
            filename: f.filename,
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            ...(include_patch && f.patch ? { patch: clip(f.patch, 3000) } : {}),
          })),
          files_total: files.length,
          html_url: c.html_url,
        };
      },
    }),
  ];
}

