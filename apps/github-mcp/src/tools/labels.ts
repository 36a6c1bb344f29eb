// labels toolset: a repository's labels (putting labels on an issue is issue_write's labels).
import { z } from '@factory/base-server';
import { CREATE_OR_CHANGE, READ, githubTool, pageInfo, pageOutput, pagination, repoArgs, type GithubTool, type ToolDeps } from './common.js';

const labelName = z.string().min(1).max(50);
const color = z.string().regex(/^[0-9a-fA-F]{6}$/, 'six hex digits without "#", e.g. "d73a4a"');
const label = z.object({ name: z.string(), color: z.string(), description: z.string().nullable() });
const summarize = (l: { name: string; color: string; description: string | null }) => ({ name: l.name, color: l.color, description: l.description });

export function labelTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('labels', {
      name: 'list_labels',
      title: 'List labels',
      description: 'Lists the labels defined in a repository with color and description. Paginated.',
      inputSchema: z.object({ ...repoArgs, ...pagination }),
      outputSchema: z.object({ labels: z.array(label), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const { data, headers } = await octokit.rest.issues.listLabelsForRepo({ owner: args.owner, repo: args.repo, page: args.page, per_page: args.per_page });
        return { labels: data.map(summarize), ...pageInfo(args, headers) };
      },
    }),

    githubTool('labels', {
      name: 'label_write',
      title: 'Create, update or delete a label',
      description:
        'method create defines a label (color required); update changes name (new_name), color or description; delete removes the label from the repository and every issue carrying it.',
      inputSchema: z
        .object({
          ...repoArgs,
          method: z.enum(['create', 'update', 'delete']),
          name: labelName,
          new_name: labelName.optional().describe('update: rename to this'),
          color: color.optional(),
          description: z.string().max(100).optional(),
        })
        .superRefine((a, ctx) => {
          if (a.method === 'create' && !a.color) ctx.addIssue({ code: 'custom', path: ['color'], message: 'required to create a label' });
          if (a.method === 'update' && a.new_name === undefined && a.color === undefined && a.description === undefined) {
            ctx.addIssue({ code: 'custom', message: 'give at least one of new_name, color, description' });
          }
        }),
      outputSchema: z.object({ name: z.string(), deleted: z.boolean() }),
      annotations: CREATE_OR_CHANGE,
      handler: async ({ owner, repo, method, name, new_name, color, description }) => {
        const fields = { ...(color ? { color } : {}), ...(description !== undefined ? { description } : {}) };
        if (method === 'delete') {
          await octokit.rest.issues.deleteLabel({ owner, repo, name });
          return { name, deleted: true };
        }
        const { data } =
          method === 'create'
            ? await octokit.rest.issues.createLabel({ owner, repo, name, color: color!, ...fields })
            : await octokit.rest.issues.updateLabel({ owner, repo, name, ...(new_name ? { new_name } : {}), ...fields });
        return { name: data.name, deleted: false };
      },
    }),
  ];
}
