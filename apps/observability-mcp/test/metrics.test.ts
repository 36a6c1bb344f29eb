import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { startTestService, awsError, textOf, type TestService } from './helpers.js';

const base = Date.UTC(2026, 0, 1, 0, 0);
const minutes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Date(base + (from + i) * 60_000));

describe('metric tools', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService({ AWS_MAX_PAGES: '3', METRIC_MAX_POINTS: '10' });
  });
  afterAll(async () => {
    await s.stop();
  });
  beforeEach(() => {
    s.cwMock.reset();
  });

  describe('get_metric_data', () => {
    it('sends metric and expression queries and returns a downsampled series with a summary', async () => {
      const values = Array.from({ length: 100 }, (_, i) => (i === 42 ? 500 : i));
      s.cwMock.on(GetMetricDataCommand).resolves({
        MetricDataResults: [
          { Id: 'cpu', Label: 'CPUUtilization', StatusCode: 'Complete', Timestamps: minutes(100).reverse(), Values: [...values].reverse() },
          { Id: 'ratio', Label: 'ratio', StatusCode: 'Complete', Timestamps: minutes(2), Values: [1, 2] },
        ],
      });
      const r = await s.call('get_metric_data', {
        queries: [
          { id: 'cpu', namespace: 'AWS/ECS', metric_name: 'CPUUtilization', stat: 'Average', dimensions: [{ name: 'ServiceName', value: 'api' }] },
          { id: 'ratio', expression: 'cpu/2' },
        ],
        start: '2026-01-01T00:00:00Z',
        end: '2026-01-01T02:00:00Z',
        period_seconds: 60,
      });
      expect(r.isError).toBeFalsy();
      const out = r.structuredContent!;
      expect(out.window).toEqual({ start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T02:00:00.000Z', period_seconds: 60 });
      const cpu = out.results[0];
      expect(cpu.downsampled).toBe(true);
      expect(cpu.points).toHaveLength(10);
      expect(cpu.points[0]).toMatchObject({ t: '2026-01-01T00:00:00.000Z', min: 0, n: 10 });
      expect(Math.max(...cpu.points.map((p: { max: number }) => p.max))).toBe(500);
      expect(cpu.summary).toMatchObject({ count: 100, min: 0, max: 500, first: 0, last: 99, trend: 'rising' });
      expect(out.results[1]).toMatchObject({ id: 'ratio', downsampled: false, summary: { count: 2 } });
      expect(out.truncated).toBe(false);
      const input = s.cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
      expect(input.ScanBy).toBe('TimestampAscending');
      expect(input.MetricDataQueries).toEqual([
        {
          Id: 'cpu',
          ReturnData: true,
          MetricStat: { Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ServiceName', Value: 'api' }] }, Stat: 'Average', Period: 60 },
        },
        { Id: 'ratio', ReturnData: true, Expression: 'cpu/2', Period: 60 },
      ]);
    });

    it('merges pages of one query and stops at the page cap with a next_token', async () => {
      s.cwMock.on(GetMetricDataCommand).callsFake((input: { NextToken?: string }) => {
        const page = input.NextToken ? Number(input.NextToken) : 0;
        return { MetricDataResults: [{ Id: 'm', StatusCode: 'PartialData', Timestamps: minutes(5, page * 5), Values: [1, 1, 1, 1, 1] }], NextToken: String(page + 1) };
      });
      const r = await s.call('get_metric_data', { queries: [{ id: 'm', namespace: 'N', metric_name: 'M', stat: 'Sum' }], max_points: 100 });
      expect(s.cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(3);
      expect(r.structuredContent).toMatchObject({ pages_fetched: 3, truncated: true, next_token: '3' });
      expect(r.structuredContent!.results[0].summary.count).toBe(15);
      expect(r.structuredContent!.results[0].status).toBe('PartialData');
    });

    it('rejects incomplete, ambiguous and duplicate queries and a bad period without calling AWS', async () => {
      const bad = [
        { queries: [{ id: 'a', namespace: 'N', metric_name: 'M' }] },
        { queries: [{ id: 'a', expression: 'x', stat: 'Sum' }] },
        { queries: [{ id: 'a', expression: 'x' }, { id: 'a', expression: 'y' }] },
        { queries: [{ id: 'Upper', expression: 'x' }] },
        { queries: [{ id: 'a', expression: 'x' }], period_seconds: 90 },
        { queries: [{ id: 'a', expression: 'x' }], start: 'yesterday' },
        { queries: [{ id: 'a', expression: 'x' }], start: '1h', end: '2h' },
        { queries: [] },
      ];
      for (const args of bad) {
        const r = await s.call('get_metric_data', args);
        expect(r.isError).toBe(true);
      }
      expect(s.cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    });

    it('maps an invalid-parameter error from CloudWatch to a clear isError', async () => {
      s.cwMock.on(GetMetricDataCommand).rejects(awsError('InvalidParameterValueException', 'The expression is invalid'));
      const r = await s.call('get_metric_data', { queries: [{ id: 'a', expression: 'SUM(' }] });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toBe('AWS rejected cloudwatch:GetMetricData as invalid: The expression is invalid. Check the arguments and try again.');
    });
  });

  describe('list_metrics', () => {
    it('passes filters and returns metrics with their dimensions, counting those left out by the limit', async () => {
      s.cwMock.on(ListMetricsCommand).resolves({
        Metrics: [
          { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'prod' }, { Name: 'ServiceName', Value: 'api' }] },
          { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'prod' }, { Name: 'ServiceName', Value: 'web' }] },
          { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'prod' }] },
        ],
        NextToken: 'more',
      });
      const r = await s.call('list_metrics', { namespace: 'AWS/ECS', metric_name: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName' }], recently_active: true, limit: 2 });
      expect(r.structuredContent).toEqual({
        metrics: [
          { namespace: 'AWS/ECS', metric_name: 'CPUUtilization', dimensions: { ClusterName: 'prod', ServiceName: 'api' } },
          { namespace: 'AWS/ECS', metric_name: 'CPUUtilization', dimensions: { ClusterName: 'prod', ServiceName: 'web' } },
        ],
        count: 2,
        omitted: 1,
        next_token: 'more',
      });
      expect(s.cwMock.commandCalls(ListMetricsCommand)[0]!.args[0].input).toEqual({
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'ClusterName', Value: 'prod' }, { Name: 'ServiceName' }],
        RecentlyActive: 'PT3H',
      });
    });

    it('follows pages up to the page cap', async () => {
      s.cwMock.on(ListMetricsCommand).callsFake((input: { NextToken?: string }) => ({
        Metrics: [{ Namespace: 'N', MetricName: `m${input.NextToken ?? '0'}` }],
        NextToken: String(Number(input.NextToken ?? '0') + 1),
      }));
      const r = await s.call('list_metrics', { namespace: 'N' });
      expect(s.cwMock.commandCalls(ListMetricsCommand)).toHaveLength(3);
      expect(r.structuredContent).toMatchObject({ count: 3, omitted: 0, next_token: '3' });
    });
  });

  describe('get_service_health', () => {
    const series = (id: string, values: number[]) => ({ Id: id, StatusCode: 'Complete' as const, Timestamps: minutes(values.length), Values: values });

    it('summarises ECS and ALB metrics and flags a high error rate, rising memory and unhealthy hosts', async () => {
      s.cwMock.on(GetMetricDataCommand).resolves({
        MetricDataResults: [
          series('cpu_avg', [20, 22, 21, 20, 23, 22]),
          series('cpu_max', [30, 35, 32, 31, 40, 33]),
          series('mem_avg', [40, 40, 50, 55, 70, 72]),
          series('mem_max', [45, 46, 55, 60, 75, 78]),
          series('requests', [100, 100, 100, 100, 100, 100]),
          series('errors', [0, 0, 1, 5, 10, 20]),
          series('latency', [0.1, 0.1, 0.12, 0.2, 0.3, 0.4]),
          series('latency_p99', [0.5, 0.6, 0.7, 1, 2.5, 1.2]),
          series('unhealthy', [0, 0, 0, 1, 1, 0]),
        ],
      });
      const r = await s.call('get_service_health', {
        cluster: 'prod',
        service: 'api',
        target_group: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-tg/0123456789abcdef',
        load_balancer: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/prod-alb/fedcba9876543210',
      });
      expect(r.isError).toBeFalsy();
      const out = r.structuredContent!;
      expect(out.status).toBe('degraded');
      expect(out.cpu_pct).toMatchObject({ peak: 40, latest: 22, trend: 'flat' });
      expect(out.memory_pct).toMatchObject({ peak: 78, latest: 72, trend: 'rising' });
      expect(out.load_balancer).toEqual({
        requests: 600,
        errors_5xx: 36,
        error_rate_pct: 6,
        errors_trend: 'rising',
        latency_avg_ms: 203,
        latency_p99_ms: 2500,
        latency_trend: 'rising',
        unhealthy_hosts_max: 1,
      });
      expect(out.findings.join('\n')).toMatch(/5xx rate is 6%/);
      expect(out.findings.join('\n')).toMatch(/p99 latency reached 2500 ms/);
      expect(out.findings.join('\n')).toMatch(/unhealthy target/);
      expect(out.findings.join('\n')).toMatch(/Memory is rising/);
      const queries = s.cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
      const errorsQuery = queries.find((q) => q.Id === 'errors')!;
      expect(errorsQuery.MetricStat!.Metric!.Dimensions).toEqual([
        { Name: 'TargetGroup', Value: 'targetgroup/api-tg/0123456789abcdef' },
        { Name: 'LoadBalancer', Value: 'app/prod-alb/fedcba9876543210' },
      ]);
      expect(queries.find((q) => q.Id === 'cpu_avg')!.MetricStat!.Metric!.Dimensions).toEqual([
        { Name: 'ClusterName', Value: 'prod' },
        { Name: 'ServiceName', Value: 'api' },
      ]);
    });

    it('reports healthy for calm ECS metrics without a load balancer', async () => {
      s.cwMock.on(GetMetricDataCommand).resolves({
        MetricDataResults: [series('cpu_avg', [10, 11, 10]), series('cpu_max', [12, 13, 12]), series('mem_avg', [30, 30, 30]), series('mem_max', [31, 31, 31])],
      });
      const r = await s.call('get_service_health', { cluster: 'prod', service: 'api' });
      expect(r.structuredContent).toMatchObject({ status: 'healthy', load_balancer: null, findings: ['All metrics are within thresholds.'] });
      expect(s.cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries).toHaveLength(4);
    });

    it('reports unknown when the service has no datapoints', async () => {
      s.cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      const r = await s.call('get_service_health', { cluster: 'prod', service: 'nope' });
      expect(r.structuredContent!.status).toBe('unknown');
      expect(r.structuredContent!.findings[0]).toMatch(/No CPU or memory datapoints for prod\/nope/);
    });

    it('rejects a target group without its load balancer, and malformed identifiers', async () => {
      for (const args of [
        { cluster: 'c', service: 's', target_group: 'targetgroup/a/b' },
        { cluster: 'c', service: 's', target_group: 'nonsense', load_balancer: 'app/a/b' },
        { cluster: 'c', service: 's', target_group: 'targetgroup/a/b', load_balancer: 'alb-name' },
      ]) {
        const r = await s.call('get_service_health', args);
        expect(r.isError).toBe(true);
      }
      expect(s.cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    });
  });
});
