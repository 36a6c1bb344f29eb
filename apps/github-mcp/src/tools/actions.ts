// actions toolset: workflow runs, re-runs and job logs.
import { z } from '@factory/base-server';
import { READ, branchName, githubTool, pageInfo, pageOutput, pagination, repoArgs, workflowFile, type GithubTool, type ToolDeps } from './common.js';

const runId = z.number().int().positive().describe('Workflow run id (from list_workflow_runs)');

const runSummary = z.object({
  id: z.number(),
  name: z.string().nullable(),
  title: z.string().nullable().describe('Commit message or PR title that triggered it'),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  event: z.string(),
  branch: z.string().nullable(),
  head_sha: z.string(),
  run_number: z.number(),
  attempt: z.number().nullable(),
  created_at: z.string(),
  html_url: z.string(),
});

interface RawRun {
  id: number;
  name?: string | null;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  event: string;
  head_branch: string | null;
  head_sha: string;
  run_number: number;
  run_attempt?: number;
  created_at: string;
  html_url: string;
}
const summarize = (r: RawRun) => ({
  id: r.id,
  name: r.name ?? null,
  title: r.display_title ?? null,
  status: r.status,
  conclusion: r.conclusion,
  event: r.event,
  branch: r.head_branch,
  head_sha: r.head_sha,
  run_number: r.run_number,
  attempt: r.run_attempt ?? null,
  created_at: r.created_at,
  html_url: r.html_url,
});

/** GitHub prefixes every log line with an ISO timestamp; agents rarely need it. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z /;

export function actionsTools({ octokit }: ToolDeps): GithubTool[] {
  return [
    githubTool('actions', {
      name: 'list_workflow_runs',
      title: 'List workflow runs',
      description:
        'Lists GitHub Actions runs, newest first, for the whole repository or one workflow (id or file name such as "ci.yml"), filtered by branch, event or status (e.g. "failure", "in_progress"). Paginated.',
      inputSchema: z.object({
        ...repoArgs,
        workflow: z.union([z.number().int().positive(), workflowFile]).optional().describe('Workflow id or file name, e.g. "ci.yml"'),
        branch: branchName.optional(),
        event: z.string().min(1).max(50).optional().describe('Triggering event, e.g. "push" or "pull_request"'),
        status: z
          .enum(['completed', 'action_required', 'cancelled', 'failure', 'neutral', 'skipped', 'stale', 'success', 'timed_out', 'in_progress', 'queued', 'requested', 'waiting', 'pending'])
          .optional(),
        ...pagination,
      }),
      outputSchema: z.object({ total_count: z.number(), runs: z.array(runSummary), ...pageOutput }),
      annotations: READ,
      handler: async (args) => {
        const filters = {
          owner: args.owner,
          repo: args.repo,
          page: args.page,
          per_page: args.per_page,
          ...(args.branch ? { branch: args.branch } : {}),
          ...(args.event ? { event: args.event } : {}),
          ...(args.status ? { status: args.status } : {}),
        };
        const { data, headers } =
          args.workflow !== undefined
            ? await octokit.rest.actions.listWorkflowRuns({ ...filters, workflow_id: args.workflow })
            : await octokit.rest.actions.listWorkflowRunsForRepo(filters);
        return { total_count: data.total_count, runs: data.workflow_runs.map(summarize), ...pageInfo(args, headers) };
      },
    }),

    githubTool('actions', {
      name: 'get_workflow_run',
      title: 'Get a workflow run',
      description:
        'Returns one workflow run with its jobs (latest attempt, up to 100): each job\'s status, conclusion and the names of its failed steps. Use a failed job\'s id with get_job_logs.',
      inputSchema: z.object({ ...repoArgs, run_id: runId }),
      outputSchema: runSummary.extend({
        jobs: z.array(
          z.object({
            id: z.number(),
            name: z.string(),
            status: z.string(),
            conclusion: z.string().nullable(),
            started_at: z.string().nullable(),
            completed_at: z.string().nullable(),
            failed_steps: z.array(z.string()),
          }),
        ),
      }),
      annotations: READ,
      handler: async ({ owner, repo, run_id }) => {
        const [run, jobs] = await Promise.all([
          octokit.rest.actions.getWorkflowRun({ owner, repo, run_id }),
          octokit.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id, per_page: 100 }),
        ]);
        return {
          ...summarize(run.data),
          jobs: jobs.data.jobs.map((j) => ({
            id: j.id,
            name: j.name,
            status: j.status,
            conclusion: j.conclusion ?? null,
            started_at: j.started_at ?? null,
            completed_at: j.completed_at ?? null,
            failed_steps: (j.steps ?? []).filter((s) => s.conclusion === 'failure').map((s) => s.name),
          })),
        };
      },
    }),

    githubTool('actions', {
      name: 'rerun_workflow_run',
      title: 'Re-run a workflow run',
      description: 'Starts a new attempt of a finished workflow run: all jobs, or only the failed ones (failed_only). Each call starts another attempt, so check get_workflow_run before repeating.',
      inputSchema: z.object({
        ...repoArgs,
        run_id: runId,
        failed_only: z.boolean().default(false).describe('Re-run only failed jobs and their dependents'),
        enable_debug_logging: z.boolean().default(false),
      }),
      outputSchema: z.object({ run_id: z.number(), requested: z.boolean(), failed_only: z.boolean() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async ({ owner, repo, run_id, failed_only, enable_debug_logging }) => {
        const params = { owner, repo, run_id, enable_debug_logging };
        if (failed_only) await octokit.rest.actions.reRunWorkflowFailedJobs(params);
        else await octokit.rest.actions.reRunWorkflow(params);
        return { run_id, requested: true, failed_only };
      },
    }),

    githubTool('actions', {
      name: 'get_job_logs',
      title: 'Get the tail of a job log',
      description:
        'Returns the last tail_lines lines of a GitHub Actions job log (timestamps removed), bounded to max_bytes, which is where errors usually are. Get job ids from get_workflow_run.',
      inputSchema: z.object({
        ...repoArgs,
        job_id: z.number().int().positive().describe('Job id from get_workflow_run'),
        tail_lines: z.number().int().min(1).max(5000).default(200),
        max_bytes: z.number().int().min(1000).max(500_000).default(50_000),
      }),
      outputSchema: z.object({
        job_id: z.number(),
        total_lines: z.number(),
        returned_lines: z.number(),
        truncated: z.boolean().describe('True when earlier lines were left out'),
        log: z.string(),
      }),
      annotations: READ,
      handler: async ({ owner, repo, job_id, tail_lines, max_bytes }) => {
        const { data } = await octokit.rest.actions.downloadJobLogsForWorkflowRun({ owner, repo, job_id });
        const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : String(data);
        const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
        const tail: string[] = [];
        let bytes = 0;
        for (let i = lines.length - 1; i >= 0 && tail.length < tail_lines; i--) {
          const line = (lines[i] ?? '').replace(TIMESTAMP, '');
          bytes += Buffer.byteLength(line, 'utf8') + 1;
          if (bytes > max_bytes) break;
          tail.push(line);
        }
        tail.reverse();
        return { job_id, total_lines: lines.length, returned_lines: tail.length, truncated: tail.length < lines.length, log: tail.join('\n') };
      },
    }),
  ];
}
