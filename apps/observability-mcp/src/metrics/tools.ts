// Metric tools: raw metric queries (downsampled), metric discovery, and an ECS service health summary.
import { ListMetricsCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { BadRequestError, defineTool, z, type AnyTool } from '@factory/base-server';
import { awsCall } from '../aws/errors.js';
import type { ObservabilityConfig } from '../config.js';
import { READ_ONLY } from '../shared/annotations.js';
import { timeArg, timeWindow } from '../shared/time.js';
import { downsample, summarise } from './downsample.js';
import { fetchMetricData } from './fetch.js';
import { serviceHealthTool } from './service-health.js';

/** CloudWatch keeps metrics for 15 months. */
export const MAX_METRIC_WINDOW_MS = 455 * 86_400_000;

export interface MetricToolDeps {
  cloudwatch: CloudWatchClient;
  config: ObservabilityConfig;
}

export const dimensionInput = z.object({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024) });

export const periodSeconds = z
  .number()
  .int()
  .min(1)
  .max(86_400)
  .refine((p) => [1, 5, 10, 30].includes(p) || p % 60 === 0, { message: 'period must be 1, 5, 10, 30 or a multiple of 60 seconds' });

const pointSchema = z.object({ t: z.string(), avg: z.number(), min: z.number(), max: z.number(), n: z.number().int() });
export const summarySchema = z.object({
  count: z.number().int(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  avg: z.number().nullable(),
  first: z.number().nullable(),
  last: z.number().nullable(),
  trend: z.enum(['rising', 'falling', 'flat', 'insufficient_data']),
  change_pct: z.number().nullable(),
});

const queryInput = z.object({
  id: z
    .string()
    .regex(/^[a-z][a-zA-Z0-9_]{0,254}$/, 'id must start with a lowercase letter and contain only letters, digits and _')
    .describe('Short id for this query (e.g. "cpu"); expressions refer to other queries by id.'),
  namespace: z.string().min(1).max(255).optional().describe('Metric namespace, e.g. AWS/ECS (metric queries).'),
  metric_name: z.string().min(1).max(255).optional().describe('Metric name, e.g. CPUUtilization (metric queries).'),
  dimensions: z.array(dimensionInput).max(30).optional().describe('Dimensions identifying the metric, e.g. [{"name":"ServiceName","value":"api"}].'),
  stat: z.string().min(1).max(50).optional().describe('Statistic for metric queries: Average, Sum, Minimum, Maximum, SampleCount, or a percentile like p99.'),
  expression: z.string().min(1).max(2_048).optional().describe('A metric math or Metrics Insights expression instead of a metric, e.g. "m1/m2*100".'),
  label: z.string().min(1).max(255).optional(),
  return_data: z.boolean().default(true).describe('false for queries used only as inputs to an expression.'),
  period_seconds: periodSeconds.optional().describe('Overrides the request period for this query.'),
});

export function metricTools({ cloudwatch, config }: MetricToolDeps): AnyTool[] {
  const getMetricData = defineTool({
    name: 'get_metric_data',
    title: 'Query CloudWatch metrics',
    description:
      'Fetches one or more CloudWatch metrics or metric-math expressions over a time window and returns, per query, a summary ' +
      '(count, min, max, avg, first, last, trend) and the series downsampled to at most max_points points, each with avg/min/max. ' +
      'Use it to look at any metric once you know its namespace, name and dimensions (find them with list_metrics). ' +
      'Each query is either a metric (namespace + metric_name + stat) or an expression. Long windows are paginated up to a cap; ' +
      'when truncated is true pass next_token to continue.',
    inputSchema: z.object({
      queries: z.array(queryInput).min(1).max(20).describe('1 to 20 metric or expression queries.'),
      start: timeArg('Window start', '3h'),
      end: timeArg('Window end', 'now'),
      period_seconds: periodSeconds.default(300).describe('Granularity in seconds: 1, 5, 10, 30 or a multiple of 60 (default 300).'),
      max_points: z.number().int().min(2).max(1_440).optional().describe(`Most points per series after downsampling (default ${config.METRIC_MAX_POINTS}).`),
      next_token: z.string().min(1).max(4_096).optional().describe('next_token from a truncated previous answer (same queries and window).'),
    }),
    outputSchema: z.object({
      window: z.object({ start: z.string(), end: z.string(), period_seconds: z.number().int() }),
      results: z.array(
        z.object({
          id: z.string(),
          label: z.string(),
          status: z.string(),
          summary: summarySchema,
          downsampled: z.boolean(),
          points: z.array(pointSchema),
        }),
      ),
      messages: z.array(z.string()),
      pages_fetched: z.number().int(),
      truncated: z.boolean(),
      next_token: z.string().nullable(),
    }),
    annotations: READ_ONLY,
    handler: async (args, ctx) => {
      const window = timeWindow(args.start, args.end, '3h', MAX_METRIC_WINDOW_MS);
      const ids = new Set<string>();
      const queries: MetricDataQuery[] = args.queries.map((q) => {
        if (ids.has(q.id)) throw new BadRequestError('duplicate_query_id', `Query id "${q.id}" is used twice; give every query its own id.`);
        ids.add(q.id);
        const isMetric = q.namespace !== undefined || q.metric_name !== undefined || q.stat !== undefined;
        if (q.expression !== undefined && isMetric) {
          throw new BadRequestError('ambiguous_query', `Query "${q.id}" has both an expression and metric fields; use one or the other.`);
        }
        const period = q.period_seconds ?? args.period_seconds;
        const common = { Id: q.id, ReturnData: q.return_data, ...(q.label ? { Label: q.label } : {}) };
        if (q.expression !== undefined) return { ...common, Expression: q.expression, Period: period };
        if (!q.namespace || !q.metric_name || !q.stat) {
          throw new BadRequestError('incomplete_query', `Query "${q.id}" needs namespace, metric_name and stat (or an expression).`);
        }
        return {
          ...common,
          MetricStat: {
            Metric: { Namespace: q.namespace, MetricName: q.metric_name, Dimensions: (q.dimensions ?? []).map((d) => ({ Name: d.name, Value: d.value })) },
            Stat: q.stat,
            Period: period,
          },
        };
      });
      const maxPoints = args.max_points ?? config.METRIC_MAX_POINTS;
      const fetched = await fetchMetricData(
        cloudwatch,
        { queries, start: window.start, end: window.end, maxPages: config.AWS_MAX_PAGES, ...(args.next_token ? { nextToken: args.next_token } : {}) },
        ctx.signal,
      );
      return {
        window: { start: window.start.toISOString(), end: window.end.toISOString(), period_seconds: args.period_seconds },
        results: fetched.series.map((s) => ({
          id: s.id,
          label: s.label,
          status: s.statusCode,
          summary: summarise(s.series),
          downsampled: s.series.length > maxPoints,
          points: downsample(s.series, maxPoints),
        })),
        messages: fetched.messages,
        pages_fetched: fetched.pages,
        truncated: fetched.nextToken !== undefined,
        next_token: fetched.nextToken ?? null,
      };
    },
  });

  const listMetrics = defineTool({
    name: 'list_metrics',
    title: 'Find CloudWatch metrics',
    description:
      'Lists CloudWatch metrics matching a namespace, metric name and/or dimension filters, with their dimensions. ' +
      'Use it to discover what can be queried (e.g. which ECS services publish CPUUtilization) before get_metric_data. ' +
      'A dimension filter without a value matches any value. recently_active limits the list to metrics with data in the last 3 hours.',
    inputSchema: z.object({
      namespace: z.string().min(1).max(255).optional().describe('e.g. AWS/ECS, AWS/ApplicationELB, or a custom namespace.'),
      metric_name: z.string().min(1).max(255).optional(),
      dimensions: z
        .array(z.object({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024).optional() }))
        .max(10)
        .optional()
        .describe('Filters; omit value to match any value of that dimension.'),
      recently_active: z.boolean().default(false).describe('Only metrics with datapoints in the past 3 hours.'),
      limit: z.number().int().min(1).max(500).default(100).describe('Most metrics to return (1-500, default 100).'),
      next_token: z.string().min(1).max(4_096).optional(),
    }),
    outputSchema: z.object({
      metrics: z.array(z.object({ namespace: z.string(), metric_name: z.string(), dimensions: z.record(z.string(), z.string()) })),
      count: z.number().int(),
      omitted: z.number().int().describe('Metrics read but not returned because of the limit; narrow the filters to see them.'),
      next_token: z.string().nullable(),
    }),
    annotations: READ_ONLY,
    handler: async (args, ctx) => {
      const metrics: Array<{ namespace: string; metric_name: string; dimensions: Record<string, string> }> = [];
      let token = args.next_token;
      let pages = 0;
      let omitted = 0;
      do {
        const out = await awsCall('cloudwatch:ListMetrics', () =>
          cloudwatch.send(
            new ListMetricsCommand({
              ...(args.namespace ? { Namespace: args.namespace } : {}),
              ...(args.metric_name ? { MetricName: args.metric_name } : {}),
              ...(args.dimensions ? { Dimensions: args.dimensions.map((d) => ({ Name: d.name, ...(d.value ? { Value: d.value } : {}) })) } : {}),
              ...(args.recently_active ? { RecentlyActive: 'PT3H' as const } : {}),
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: ctx.signal },
          ),
        );
        pages += 1;
        for (const m of out.Metrics ?? []) {
          if (metrics.length >= args.limit) {
            omitted += 1;
            continue;
          }
          metrics.push({
            namespace: m.Namespace ?? '',
            metric_name: m.MetricName ?? '',
            dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
          });
        }
        token = out.NextToken || undefined;
      } while (token && pages < config.AWS_MAX_PAGES && metrics.length < args.limit);
      return { metrics, count: metrics.length, omitted, next_token: token ?? null };
    },
  });

  return [getMetricData, listMetrics, serviceHealthTool({ cloudwatch, config })];
}
