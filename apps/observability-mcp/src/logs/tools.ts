// Log tools: find log groups, filter events, and run Logs Insights queries with a bounded wait.
import { DescribeLogGroupsCommand, FilterLogEventsCommand, StartQueryCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { defineTool, z, type AnyTool } from '@factory/base-server';
import { awsCall } from '../aws/errors.js';
import type { ObservabilityConfig } from '../config.js';
import { READ_ONLY } from '../shared/annotations.js';
import { timeArg, timeWindow } from '../shared/time.js';
import { truncateText } from '../shared/truncate.js';
import { getQueryResults, insightsResultSchema, pollQuery, toInsightsResult } from './insights.js';

export interface LogToolDeps {
  logs: CloudWatchLogsClient;
  config: ObservabilityConfig;
}

const MAX_LOG_WINDOW_MS = 90 * 86_400_000;
const logGroupName = z.string().min(1).max(2_048).describe('Log group name (e.g. /ecs/api) or ARN.');
const nextToken = z.string().min(1).max(4_096).optional().describe('next_token from the previous answer, to continue.');

export function logTools({ logs, config }: LogToolDeps): AnyTool[] {
  const describeLogGroups = defineTool({
    name: 'describe_log_groups',
    title: 'Find log groups',
    description:
      'Lists CloudWatch Logs log groups, optionally only those whose name starts with a prefix (e.g. /ecs/ or /aws/lambda/). ' +
      'Use it to find the exact log group name before filter_log_events or run_logs_insights_query. Paginated with next_token.',
    inputSchema: z.object({
      prefix: z.string().min(1).max(512).optional().describe('Log group name prefix, case-sensitive.'),
      limit: z.number().int().min(1).max(50).default(50).describe('Most groups to return (1-50, default 50).'),
      next_token: nextToken,
    }),
    outputSchema: z.object({
      log_groups: z.array(
        z.object({ name: z.string(), stored_bytes: z.number().nullable(), retention_days: z.number().nullable(), created_at: z.string().nullable(), class: z.string().nullable() }),
      ),
      count: z.number().int(),
      next_token: z.string().nullable(),
    }),
    annotations: READ_ONLY,
    handler: async ({ prefix, limit, next_token }, ctx) => {
      const out = await awsCall('logs:DescribeLogGroups', () =>
        logs.send(
          new DescribeLogGroupsCommand({ ...(prefix ? { logGroupNamePrefix: prefix } : {}), limit, ...(next_token ? { nextToken: next_token } : {}) }),
          { abortSignal: ctx.signal },
        ),
      );
      const groups = (out.logGroups ?? []).slice(0, limit).map((g) => ({
        name: g.logGroupName ?? '',
        stored_bytes: g.storedBytes ?? null,
        retention_days: g.retentionInDays ?? null,
        created_at: g.creationTime ? new Date(g.creationTime).toISOString() : null,
        class: g.logGroupClass ?? null,
      }));
      return { log_groups: groups, count: groups.length, next_token: out.nextToken || null };
    },
  });

  const filterLogEvents = defineTool({
    name: 'filter_log_events',
    title: 'Search log events',
    description:
      'Returns log events from one log group in a time window, optionally matching a CloudWatch filter pattern ' +
      '(e.g. "ERROR", "?ERROR ?Exception", \'{ $.level = "error" }\'), oldest first. Use it to read recent errors or follow a request id. ' +
      'Long lines are cut and counted; when the answer would be too large the remaining events are left out and counted. ' +
      'For aggregation (counts, top errors) prefer run_logs_insights_query. Paginated with next_token.',
    inputSchema: z.object({
      log_group: logGroupName,
      pattern: z.string().max(1_024).optional().describe('CloudWatch Logs filter pattern; omit for all events.'),
      start: timeArg('Window start', '1h'),
      end: timeArg('Window end', 'now'),
      log_stream_prefix: z.string().min(1).max(512).optional().describe('Only streams whose name starts with this.'),
      limit: z.number().int().min(1).max(500).default(100).describe('Most events to return (1-500, default 100).'),
      next_token: nextToken,
    }),
    outputSchema: z.object({
      events: z.array(z.object({ timestamp: z.string(), stream: z.string(), message: z.string() })),
      count: z.number().int(),
      lines_truncated: z.number().int().describe('Messages cut to the per-line length limit.'),
      chars_omitted: z.number().int().describe('Characters removed from cut messages.'),
      events_omitted: z.number().int().describe('Events read but left out to keep the answer small; narrow the window or pattern.'),
      window: z.object({ start: z.string(), end: z.string() }),
      next_token: z.string().nullable(),
    }),
    annotations: READ_ONLY,
    handler: async (args, ctx) => {
      const window = timeWindow(args.start, args.end, '1h', MAX_LOG_WINDOW_MS);
      const isArn = args.log_group.startsWith('arn:');
      const events: Array<{ timestamp: string; stream: string; message: string }> = [];
      let token = args.next_token;
      let pages = 0;
      let linesTruncated = 0;
      let charsOmitted = 0;
      let eventsOmitted = 0;
      let chars = 0;
      do {
        const out = await awsCall('logs:FilterLogEvents', () =>
          logs.send(
            new FilterLogEventsCommand({
              ...(isArn ? { logGroupIdentifier: args.log_group } : { logGroupName: args.log_group }),
              ...(args.pattern ? { filterPattern: args.pattern } : {}),
              ...(args.log_stream_prefix ? { logStreamNamePrefix: args.log_stream_prefix } : {}),
              startTime: window.start.getTime(),
              endTime: window.end.getTime(),
              limit: args.limit - events.length,
              ...(token ? { nextToken: token } : {}),
            }),
            { abortSignal: ctx.signal },
          ),
        );
        pages += 1;
        for (const e of out.events ?? []) {
          if (events.length >= args.limit || chars >= config.LOG_OUTPUT_MAX_CHARS) {
            eventsOmitted += 1;
            continue;
          }
          const cut = truncateText((e.message ?? '').replace(/\s+$/, ''), config.LOG_LINE_MAX_CHARS);
          if (cut.omitted > 0) {
            linesTruncated += 1;
            charsOmitted += cut.omitted;
          }
          chars += cut.text.length;
          events.push({ timestamp: new Date(e.timestamp ?? 0).toISOString(), stream: e.logStreamName ?? '', message: cut.text });
        }
        token = out.nextToken || undefined;
      } while (token && pages < config.AWS_MAX_PAGES && events.length < args.limit && chars < config.LOG_OUTPUT_MAX_CHARS);
      return {
        events,
        count: events.length,
        lines_truncated: linesTruncated,
        chars_omitted: charsOmitted,
        events_omitted: eventsOmitted,
        window: { start: window.start.toISOString(), end: window.end.toISOString() },
        next_token: token ?? null,
      };
    },
  });

  const maxWaitSeconds = config.LOGS_QUERY_MAX_WAIT_MS / 1000;
  const limits = (maxRows: number) => ({ maxRows, valueMaxChars: config.LOG_LINE_MAX_CHARS, outputMaxChars: config.LOG_OUTPUT_MAX_CHARS });

  const runInsightsQuery = defineTool({
    name: 'run_logs_insights_query',
    title: 'Run a Logs Insights query',
    description:
      'Runs a CloudWatch Logs Insights query over one or more log groups and time window, waits up to wait_seconds for it to finish, ' +
      'and returns the rows (field name to value; long values cut and counted). If the query is still running when the wait ends, ' +
      'it returns complete=false and the query_id: fetch the results later with get_logs_insights_results. ' +
      'Use it for aggregation and search, e.g. "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 20" ' +
      'or "stats count(*) by bin(5m)". Queries scan data and cost money: keep windows tight.',
    inputSchema: z.object({
      log_groups: z.array(logGroupName).min(1).max(50).describe('Log group names or ARNs to query (1-50).'),
      query: z.string().min(1).max(10_000).describe('The Logs Insights query string.'),
      start: timeArg('Window start', '1h'),
      end: timeArg('Window end', 'now'),
      limit: z.number().int().min(1).max(1_000).default(100).describe('Most rows to return (1-1000, default 100).'),
      wait_seconds: z
        .number()
        .min(0)
        .max(120)
        .optional()
        .describe(`How long to wait for results before returning the query id (default and maximum ${maxWaitSeconds} s).`),
    }),
    outputSchema: insightsResultSchema,
    annotations: { ...READ_ONLY, idempotentHint: false },
    handler: async (args, ctx) => {
      const window = timeWindow(args.start, args.end, '1h', MAX_LOG_WINDOW_MS);
      const useArns = args.log_groups.every((g) => g.startsWith('arn:'));
      const started = await awsCall('logs:StartQuery', () =>
        logs.send(
          new StartQueryCommand({
            ...(useArns ? { logGroupIdentifiers: args.log_groups } : { logGroupNames: args.log_groups }),
            queryString: args.query,
            startTime: Math.floor(window.start.getTime() / 1000),
            endTime: Math.ceil(window.end.getTime() / 1000),
            limit: args.limit,
          }),
          { abortSignal: ctx.signal },
        ),
      );
      const queryId = started.queryId ?? '';
      const waitMs = Math.min((args.wait_seconds ?? maxWaitSeconds) * 1000, config.LOGS_QUERY_MAX_WAIT_MS);
      const last = await pollQuery(logs, queryId, { maxWaitMs: waitMs, pollIntervalMs: config.LOGS_QUERY_POLL_INTERVAL_MS }, ctx.signal);
      return toInsightsResult(queryId, last, limits(args.limit));
    },
  });

  const getInsightsResults = defineTool({
    name: 'get_logs_insights_results',
    title: 'Fetch Logs Insights results',
    description:
      'Fetches the current status and results of a Logs Insights query started earlier by run_logs_insights_query (by its query_id). ' +
      'Use it when run_logs_insights_query returned complete=false. If complete is still false, wait a few seconds and call again. ' +
      'Results stay available for 7 days.',
    inputSchema: z.object({
      query_id: z.string().min(1).max(256).describe('The query_id returned by run_logs_insights_query.'),
      limit: z.number().int().min(1).max(1_000).default(100).describe('Most rows to return (1-1000, default 100).'),
    }),
    outputSchema: insightsResultSchema,
    annotations: READ_ONLY,
    handler: async ({ query_id, limit }, ctx) => toInsightsResult(query_id, await getQueryResults(logs, query_id, ctx.signal), limits(limit)),
  });

  return [describeLogGroups, filterLogEvents, runInsightsQuery, getInsightsResults];
}
