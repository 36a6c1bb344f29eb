// get_service_health: an ECS service's CPU and memory and, given its ALB target group, request count,
// 5xx count and latency, summarised with trends and plain-language findings.
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { BadRequestError, defineTool, z, type AnyTool } from '@factory/base-server';
import type { ObservabilityConfig } from '../config.js';
import { READ_ONLY } from '../shared/annotations.js';
import { timeArg, timeWindow } from '../shared/time.js';
import { summarise, type SeriesSummary } from './downsample.js';
import { fetchMetricData } from './fetch.js';

/** Thresholds behind the findings; conservative defaults an on-call engineer would flag. */
export const HEALTH_THRESHOLDS = {
  cpuPeakPct: 90,
  cpuAvgPct: 75,
  memoryPeakPct: 90,
  memoryAvgPct: 80,
  errorRatePct: 1,
  minErrorsForRate: 5,
  p99LatencyMs: 2_000,
} as const;

const LB_ARN = /^arn:aws[\w-]*:elasticloadbalancing:[^:]*:\d*:loadbalancer\/((?:app|net)\/[^/]+\/[^/]+)$/;
const TG_ARN = /^arn:aws[\w-]*:elasticloadbalancing:[^:]*:\d*:(targetgroup\/[^/]+\/[^/]+)$/;

/** Accepts an ARN or the CloudWatch dimension form and returns the dimension form. */
export function loadBalancerDimension(value: string): string {
  const m = LB_ARN.exec(value);
  if (m) return m[1]!;
  if (/^(app|net)\/[^/]+\/[^/]+$/.test(value)) return value;
  throw new BadRequestError('invalid_load_balancer', `load_balancer "${value}" is neither a load balancer ARN nor the form app/<name>/<id>.`);
}

export function targetGroupDimension(value: string): string {
  const m = TG_ARN.exec(value);
  if (m) return m[1]!;
  if (/^targetgroup\/[^/]+\/[^/]+$/.test(value)) return value;
  throw new BadRequestError('invalid_target_group', `target_group "${value}" is neither a target group ARN nor the form targetgroup/<name>/<id>.`);
}

const usageSchema = z.object({
  avg: z.number().nullable(),
  peak: z.number().nullable(),
  latest: z.number().nullable(),
  trend: z.enum(['rising', 'falling', 'flat', 'insufficient_data']),
  change_pct: z.number().nullable(),
});

const round1 = (v: number) => Math.round(v * 10) / 10;

function usage(avg: SeriesSummary, max: SeriesSummary) {
  return { avg: avg.avg, peak: max.max, latest: avg.last, trend: avg.trend, change_pct: avg.change_pct };
}

export function serviceHealthTool({ cloudwatch, config }: { cloudwatch: CloudWatchClient; config: ObservabilityConfig }): AnyTool {
  return defineTool({
    name: 'get_service_health',
    title: 'ECS service health summary',
    description:
      "Summarises an ECS service's health over a window: CPU and memory utilisation (average, peak, latest, trend) and, when you give " +
      'its ALB target group and load balancer, request count, target 5xx count and rate, average and p99 latency, and unhealthy hosts. ' +
      'Returns status (healthy, degraded, unknown) with findings in plain language. Use it first when asked how a service is doing ' +
      'or whether a deployment hurt it; drill down with get_metric_data.',
    inputSchema: z.object({
      cluster: z.string().min(1).max(255).describe('ECS cluster name.'),
      service: z.string().min(1).max(255).describe('ECS service name.'),
      target_group: z.string().min(1).max(2_048).optional().describe('ALB target group ARN or targetgroup/<name>/<id>; needs load_balancer.'),
      load_balancer: z.string().min(1).max(2_048).optional().describe('ALB ARN or app/<name>/<id>; needs target_group.'),
      start: timeArg('Window start', '3h'),
      end: timeArg('Window end', 'now'),
      period_seconds: z.number().int().min(60).max(86_400).multipleOf(60).default(300).describe('Granularity in seconds, a multiple of 60 (default 300).'),
    }),
    outputSchema: z.object({
      status: z.enum(['healthy', 'degraded', 'unknown']),
      findings: z.array(z.string()),
      window: z.object({ start: z.string(), end: z.string(), period_seconds: z.number().int() }),
      cpu_pct: usageSchema,
      memory_pct: usageSchema,
      load_balancer: z
        .object({
          requests: z.number(),
          errors_5xx: z.number(),
          error_rate_pct: z.number().nullable(),
          errors_trend: z.enum(['rising', 'falling', 'flat', 'insufficient_data']),
          latency_avg_ms: z.number().nullable(),
          latency_p99_ms: z.number().nullable(),
          latency_trend: z.enum(['rising', 'falling', 'flat', 'insufficient_data']),
          unhealthy_hosts_max: z.number().nullable(),
        })
        .nullable(),
      messages: z.array(z.string()),
    }),
    annotations: READ_ONLY,
    handler: async (args, ctx) => {
      if ((args.target_group === undefined) !== (args.load_balancer === undefined)) {
        throw new BadRequestError('incomplete_load_balancer', 'Give both target_group and load_balancer (ALB metrics are keyed by both), or neither.');
      }
      const window = timeWindow(args.start, args.end, '3h', 63 * 86_400_000);
      const period = args.period_seconds;
      const ecsDims = [
        { Name: 'ClusterName', Value: args.cluster },
        { Name: 'ServiceName', Value: args.service },
      ];
      const stat = (id: string, namespace: string, metric: string, s: string, dims: Array<{ Name: string; Value: string }>): MetricDataQuery => ({
        Id: id,
        MetricStat: { Metric: { Namespace: namespace, MetricName: metric, Dimensions: dims }, Stat: s, Period: period },
        ReturnData: true,
      });
      const queries: MetricDataQuery[] = [
        stat('cpu_avg', 'AWS/ECS', 'CPUUtilization', 'Average', ecsDims),
        stat('cpu_max', 'AWS/ECS', 'CPUUtilization', 'Maximum', ecsDims),
        stat('mem_avg', 'AWS/ECS', 'MemoryUtilization', 'Average', ecsDims),
        stat('mem_max', 'AWS/ECS', 'MemoryUtilization', 'Maximum', ecsDims),
      ];
      const withAlb = args.target_group !== undefined && args.load_balancer !== undefined;
      if (withAlb) {
        const albDims = [
          { Name: 'TargetGroup', Value: targetGroupDimension(args.target_group!) },
          { Name: 'LoadBalancer', Value: loadBalancerDimension(args.load_balancer!) },
        ];
        queries.push(
          stat('requests', 'AWS/ApplicationELB', 'RequestCount', 'Sum', albDims),
          stat('errors', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'Sum', albDims),
          stat('latency', 'AWS/ApplicationELB', 'TargetResponseTime', 'Average', albDims),
          stat('latency_p99', 'AWS/ApplicationELB', 'TargetResponseTime', 'p99', albDims),
          stat('unhealthy', 'AWS/ApplicationELB', 'UnHealthyHostCount', 'Maximum', albDims),
        );
      }
      const fetched = await fetchMetricData(cloudwatch, { queries, start: window.start, end: window.end, maxPages: config.AWS_MAX_PAGES }, ctx.signal);
      const series = new Map(fetched.series.map((s) => [s.id, s.series]));
      const sum = (id: string) => summarise(series.get(id) ?? []);
      const total = (id: string) => (series.get(id) ?? []).reduce((acc, p) => acc + p.v, 0);

      const cpu = usage(sum('cpu_avg'), sum('cpu_max'));
      const memory = usage(sum('mem_avg'), sum('mem_max'));
      const findings: string[] = [];
      let degraded = false as boolean;
      const flag = (text: string) => {
        degraded = true;
        findings.push(text);
      };
      const T = HEALTH_THRESHOLDS;
      if (cpu.peak !== null && cpu.peak >= T.cpuPeakPct) flag(`CPU peaked at ${round1(cpu.peak)}% (threshold ${T.cpuPeakPct}%).`);
      if (cpu.avg !== null && cpu.avg >= T.cpuAvgPct) flag(`CPU averaged ${round1(cpu.avg)}% (threshold ${T.cpuAvgPct}%).`);
      if (memory.peak !== null && memory.peak >= T.memoryPeakPct) flag(`Memory peaked at ${round1(memory.peak)}% (threshold ${T.memoryPeakPct}%).`);
      if (memory.avg !== null && memory.avg >= T.memoryAvgPct) flag(`Memory averaged ${round1(memory.avg)}% (threshold ${T.memoryAvgPct}%).`);
      if (cpu.trend === 'rising') findings.push(`CPU is rising (${cpu.change_pct}% from the start of the window to its end).`);
      if (memory.trend === 'rising') findings.push(`Memory is rising (${memory.change_pct}% over the window); watch for a leak.`);

      let loadBalancer = null;
      if (withAlb) {
        const requests = total('requests');
        const errors = total('errors');
        const latency = sum('latency');
        const p99 = sum('latency_p99');
        const unhealthy = sum('unhealthy');
        const errorRate = requests > 0 ? Math.round((errors / requests) * 10_000) / 100 : null;
        const errorsTrend = sum('errors').trend;
        loadBalancer = {
          requests,
          errors_5xx: errors,
          error_rate_pct: errorRate,
          errors_trend: errorsTrend,
          latency_avg_ms: latency.avg === null ? null : Math.round(latency.avg * 1000),
          latency_p99_ms: p99.max === null ? null : Math.round(p99.max * 1000),
          latency_trend: latency.trend,
          unhealthy_hosts_max: unhealthy.max,
        };
        if (errorRate !== null && errors >= T.minErrorsForRate && errorRate >= T.errorRatePct) flag(`Target 5xx rate is ${errorRate}% (${errors} of ${requests} requests; threshold ${T.errorRatePct}%).`);
        if (loadBalancer.latency_p99_ms !== null && loadBalancer.latency_p99_ms >= T.p99LatencyMs) flag(`p99 latency reached ${loadBalancer.latency_p99_ms} ms (threshold ${T.p99LatencyMs} ms).`);
        if (unhealthy.max !== null && unhealthy.max > 0) flag(`Up to ${unhealthy.max} unhealthy target(s) in the target group.`);
        if (errorsTrend === 'rising' && errors > 0) findings.push('5xx errors are rising over the window.');
        if (requests === 0 && latency.count === 0) findings.push('No load balancer data: check the target group and load balancer identifiers.');
      }
      const noEcsData = cpu.avg === null && memory.avg === null;
      if (noEcsData) findings.unshift(`No CPU or memory datapoints for ${args.cluster}/${args.service}: check the cluster and service names, or widen the window.`);
      const status: 'healthy' | 'degraded' | 'unknown' = degraded ? 'degraded' : noEcsData ? 'unknown' : 'healthy';
      if (status === 'healthy' && findings.length === 0) findings.push('All metrics are within thresholds.');
      return {
        status,
        findings,
        window: { start: window.start.toISOString(), end: window.end.toISOString(), period_seconds: period },
        cpu_pct: cpu,
        memory_pct: memory,
        load_balancer: loadBalancer,
        messages: fetched.messages,
      };
    },
  });
}
