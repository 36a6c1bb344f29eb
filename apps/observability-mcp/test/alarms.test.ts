import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, DescribeAlarmsForMetricCommand } from '@aws-sdk/client-cloudwatch';
import { startTestService, awsError, textOf, type TestService } from './helpers.js';

const t = new Date('2026-01-02T03:04:05.000Z');

describe('alarm tools', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService({ AWS_MAX_PAGES: '3' });
  });
  afterAll(async () => {
    await s.stop();
  });
  beforeEach(() => {
    s.cwMock.reset();
  });

  describe('get_active_alarms', () => {
    it('lists alarms in ALARM by default with metric details and composite rules', async () => {
      s.cwMock.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          {
            AlarmName: 'api-5xx',
            StateValue: 'ALARM',
            StateReason: 'Threshold Crossed',
            StateUpdatedTimestamp: t,
            ActionsEnabled: true,
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'HTTPCode_Target_5XX_Count',
            Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/api/1' }],
            Statistic: 'Sum',
            Period: 60,
            ComparisonOperator: 'GreaterThanThreshold',
            Threshold: 5,
            EvaluationPeriods: 2,
          },
        ],
        CompositeAlarms: [{ AlarmName: 'api-health', StateValue: 'ALARM', AlarmRule: 'ALARM(api-5xx) OR ALARM(api-latency)' }],
        NextToken: 'next',
      });
      const r = await s.call('get_active_alarms', { prefix: 'api-', limit: 2 });
      expect(r.structuredContent).toEqual({
        alarms: [
          {
            name: 'api-5xx',
            type: 'metric',
            state: 'ALARM',
            reason: 'Threshold Crossed',
            updated_at: t.toISOString(),
            actions_enabled: true,
            metric: {
              namespace: 'AWS/ApplicationELB',
              name: 'HTTPCode_Target_5XX_Count',
              dimensions: { TargetGroup: 'targetgroup/api/1' },
              statistic: 'Sum',
              period_seconds: 60,
              comparison: 'GreaterThanThreshold',
              threshold: 5,
              evaluation_periods: 2,
            },
            rule: null,
          },
          { name: 'api-health', type: 'composite', state: 'ALARM', reason: '', updated_at: null, actions_enabled: false, metric: null, rule: 'ALARM(api-5xx) OR ALARM(api-latency)' },
        ],
        count: 2,
        next_token: 'next',
      });
      expect(s.cwMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
        AlarmNamePrefix: 'api-',
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 2,
      });
    });

    it('continues from next_token and filters by type and state', async () => {
      s.cwMock.on(DescribeAlarmsCommand).resolves({ CompositeAlarms: [{ AlarmName: 'c', StateValue: 'INSUFFICIENT_DATA' }] });
      const r = await s.call('get_active_alarms', { state: 'INSUFFICIENT_DATA', type: 'composite', next_token: 'tok' });
      expect(r.structuredContent).toMatchObject({ count: 1, next_token: null });
      expect(s.cwMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', AlarmTypes: ['CompositeAlarm'], NextToken: 'tok' });
    });

    it('reads further pages until the limit is filled, but no more than the page cap', async () => {
      s.cwMock.on(DescribeAlarmsCommand).callsFake((input: { NextToken?: string }) => ({
        MetricAlarms: [{ AlarmName: `a${input.NextToken ?? 0}`, StateValue: 'ALARM' }],
        NextToken: String(Number(input.NextToken ?? 0) + 1),
      }));
      const r = await s.call('get_active_alarms', { limit: 50 });
      expect(s.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
      expect(r.structuredContent).toMatchObject({ count: 3, next_token: '3' });
    });
  });

  describe('get_alarm_history', () => {
    it('returns history items in the window with old and new state of state changes', async () => {
      s.cwMock.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          {
            AlarmName: 'api-5xx',
            AlarmType: 'MetricAlarm',
            HistoryItemType: 'StateUpdate',
            Timestamp: t,
            HistorySummary: 'Alarm updated from OK to ALARM',
            HistoryData: JSON.stringify({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
          },
          { AlarmName: 'api-5xx', AlarmType: 'MetricAlarm', HistoryItemType: 'Action', Timestamp: t, HistorySummary: 'Published to SNS', HistoryData: 'not json' },
        ],
        NextToken: 'h2',
      });
      const r = await s.call('get_alarm_history', { alarm_name: 'api-5xx', start: '2026-01-01T00:00:00Z', end: '2026-01-03T00:00:00Z' });
      expect(r.structuredContent).toEqual({
        items: [
          { alarm_name: 'api-5xx', alarm_type: 'metric', item_type: 'StateUpdate', timestamp: t.toISOString(), summary: 'Alarm updated from OK to ALARM', old_state: 'OK', new_state: 'ALARM' },
          { alarm_name: 'api-5xx', alarm_type: 'metric', item_type: 'Action', timestamp: t.toISOString(), summary: 'Published to SNS', old_state: null, new_state: null },
        ],
        count: 2,
        window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' },
        next_token: 'h2',
      });
      const input = s.cwMock.commandCalls(DescribeAlarmHistoryCommand)[0]!.args[0].input;
      expect(input).toMatchObject({ AlarmName: 'api-5xx', StartDate: new Date('2026-01-01T00:00:00Z'), EndDate: new Date('2026-01-03T00:00:00Z'), MaxRecords: 50, ScanBy: 'TimestampDescending' });
    });

    it('accepts a relative start such as 2h', async () => {
      s.cwMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
      const before = Date.now();
      const r = await s.call('get_alarm_history', { start: '2h', item_type: 'StateUpdate' });
      const input = s.cwMock.commandCalls(DescribeAlarmHistoryCommand)[0]!.args[0].input;
      const start = input.StartDate!.getTime();
      expect(start).toBeGreaterThanOrEqual(before - 2 * 3_600_000);
      expect(start).toBeLessThanOrEqual(Date.now() - 2 * 3_600_000);
      expect(input.HistoryItemType).toBe('StateUpdate');
      expect(r.structuredContent).toMatchObject({ count: 0, next_token: null });
    });

    it('rejects a window longer than 31 days without calling AWS', async () => {
      const r = await s.call('get_alarm_history', { start: '60d' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/longer than the allowed 31 days/);
      expect(s.cwMock.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(0);
    });
  });

  describe('describe_alarms_for_metric', () => {
    it('finds the alarms on a metric with its dimensions', async () => {
      s.cwMock.on(DescribeAlarmsForMetricCommand).resolves({
        MetricAlarms: [{ AlarmName: 'cpu-high', StateValue: 'OK', Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Threshold: 80, Statistic: 'Average' }],
      });
      const r = await s.call('describe_alarms_for_metric', {
        namespace: 'AWS/ECS',
        metric_name: 'CPUUtilization',
        dimensions: [{ name: 'ClusterName', value: 'prod' }],
        statistic: 'Average',
        period_seconds: 60,
      });
      expect(r.structuredContent).toMatchObject({ count: 1, alarms: [{ name: 'cpu-high', state: 'OK', metric: { threshold: 80, statistic: 'Average' } }] });
      expect(s.cwMock.commandCalls(DescribeAlarmsForMetricCommand)[0]!.args[0].input).toEqual({
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'ClusterName', Value: 'prod' }],
        Statistic: 'Average',
        Period: 60,
      });
    });

    it('maps throttling to an isError that says to wait and retry', async () => {
      s.cwMock.on(DescribeAlarmsForMetricCommand).rejects(awsError('Throttling', 'Rate exceeded', 400));
      const r = await s.call('describe_alarms_for_metric', { namespace: 'AWS/ECS', metric_name: 'CPUUtilization' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/AWS throttled cloudwatch:DescribeAlarmsForMetric: Rate exceeded\. Wait a few seconds/);
    });
  });
});
