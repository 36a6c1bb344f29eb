// Alarm tools: active alarms, history, alarms on a metric, and check_alarms (deploy-mcp's alarm guard).
import { DescribeAlarmHistoryCommand, DescribeAlarmsForMetricCommand, type CloudWatchClient, type HistoryItemType } from '@aws-sdk/client-cloudwatch';
import { BadRequestError, defineTool, z, type AnyTool } from '@factory/base-server';
import { awsCall } from '../aws/errors.js';
import type { ObservabilityConfig } from '../config.js';
import { READ_ONLY } from '../shared/annotations.js';
import { timeArg, timeWindow } from '../shared/time.js';
import { truncateText } from '../shared/truncate.js';
import { describeAlarms, type AlarmRecord } from './describe.js';
import { alarmStateSchema, alarmSummarySchema, normaliseState, summariseAlarm } from './shape.js';

/** check_alarms reads every matching alarm; past this many pages it refuses rather than answer from a partial view. */
export const CHECK_ALARMS_MAX_PAGES = 50;

const alarmName = z.string().min(1).max(255);
const nextToken = z.string().min(1).max(4_096).optional().describe('The next_token of a previous call, to fetch the following page.');

export interface AlarmToolDeps {
  cloudwatch: CloudWatchClient;
  config: ObservabilityConfig;
}

const checkAlarmsOutput = z.object({
  any_in_alarm: z.boolean(),
  checked: z.number().int(),
  alarms: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['metric', 'composite']),
      state: alarmStateSchema,
      reason: z.string(),
      updated_at: z.string().nullable(),
    }),
  ),
  missing: z.array(z.string()),
});

export function alarmTools({ cloudwatch, config }: AlarmToolDeps): AnyTool[] {
  const checkAlarms = defineTool({
    name: 'check_alarms',
    title: 'Check whether any alarm is firing',
    description:
      'Answers "is any of these CloudWatch alarms in ALARM right now?" for a list of alarm names and/or an alarm-name prefix, ' +
      'covering metric and composite alarms. Use it as a gate before or after a deployment, or to verify a fix. ' +
      'Returns any_in_alarm, each matched alarm with its state, reason and last state change, and `missing`: requested names that do not exist. ' +
      'Give at least one of names or prefix; with both, the alarms checked are the union.',
    inputSchema: z.object({
      names: z.array(alarmName).min(1).max(100).optional().describe('Exact alarm names to check (1 to 100).'),
      prefix: z.string().min(1).max(255).optional().describe('Check every alarm whose name starts with this prefix.'),
    }),
    outputSchema: checkAlarmsOutput,
    annotations: READ_ONLY,
    text: (o) =>
      o.any_in_alarm
        ? `${o.alarms.filter((a) => a.state === 'ALARM').length} of ${o.checked} alarms in ALARM: ${o.alarms
            .filter((a) => a.state === 'ALARM')
            .map((a) => a.name)
            .join(', ')}${o.missing.length ? `; missing: ${o.missing.join(', ')}` : ''}`
        : `No alarm in ALARM (${o.checked} checked)${o.missing.length ? `; missing: ${o.missing.join(', ')}` : ''}.`,
    handler: async ({ names, prefix }, ctx) => {
      if (!names && !prefix) throw new BadRequestError('missing_alarm_selector', 'Give `names` (a list of alarm names) or `prefix` (an alarm-name prefix), or both.');
      const requested = names ? [...new Set(names)] : [];
      const found = new Map<string, AlarmRecord>();
      const collect = async (query: { names?: string[]; prefix?: string }) => {
        const page = await describeAlarms(cloudwatch, query, { maxPages: CHECK_ALARMS_MAX_PAGES }, ctx.signal);
        if (page.nextToken) {
          throw new BadRequestError('too_many_alarms', `More than ${CHECK_ALARMS_MAX_PAGES * 100} alarms match; use a longer prefix or explicit names so every alarm can be checked.`);
        }
        for (const r of page.alarms) if (r.alarm.AlarmName) found.set(r.alarm.AlarmName, r);
      };
      if (requested.length > 0) await collect({ names: requested });
      if (prefix) await collect({ prefix });
      const alarms = [...found.values()]
        .map((r) => ({
          name: r.alarm.AlarmName ?? '',
          type: r.kind,
          state: normaliseState(r.alarm.StateValue),
          reason: truncateText(r.alarm.StateReason ?? '', 300).text,
          updated_at: r.alarm.StateUpdatedTimestamp ? r.alarm.StateUpdatedTimestamp.toISOString() : null,
        }))
        .sort((a, b) => (a.state === b.state ? a.name.localeCompare(b.name) : a.state === 'ALARM' ? -1 : b.state === 'ALARM' ? 1 : a.name.localeCompare(b.name)));
      return {
        any_in_alarm: alarms.some((a) => a.state === 'ALARM'),
        checked: alarms.length,
        alarms,
        missing: requested.filter((n) => !found.has(n)),
      };
    },
  });

  const getActiveAlarms = defineTool({
    name: 'get_active_alarms',
    title: 'List alarms by state',
    description:
      'Lists CloudWatch alarms (metric and composite) in a given state, ALARM by default, optionally only those whose name starts with a prefix. ' +
      'Use it to see what is currently firing or lacking data. Each alarm comes with its reason, last state change and, for metric alarms, ' +
      'the metric, dimensions and threshold. Paginated: pass next_token from the previous answer to continue.',
    inputSchema: z.object({
      state: alarmStateSchema.default('ALARM').describe('Alarm state to list: ALARM (default), INSUFFICIENT_DATA or OK.'),
      prefix: z.string().min(1).max(255).optional().describe('Only alarms whose name starts with this.'),
      type: z.enum(['metric', 'composite', 'all']).default('all').describe('metric, composite, or all (default).'),
      limit: z.number().int().min(1).max(100).default(50).describe('Most alarms to return (1-100, default 50).'),
      next_token: nextToken,
    }),
    outputSchema: z.object({ alarms: z.array(alarmSummarySchema), count: z.number().int(), next_token: z.string().nullable() }),
    annotations: READ_ONLY,
    handler: async ({ state, prefix, type, limit, next_token }, ctx) => {
      const page = await describeAlarms(
        cloudwatch,
        {
          state,
          ...(prefix ? { prefix } : {}),
          kinds: type === 'all' ? ['metric', 'composite'] : [type],
          pageSize: limit,
          ...(next_token ? { nextToken: next_token } : {}),
        },
        { maxPages: config.AWS_MAX_PAGES, maxRecords: limit },
        ctx.signal,
      );
      const alarms = page.alarms.slice(0, limit).map(summariseAlarm);
      return { alarms, count: alarms.length, next_token: page.nextToken ?? null };
    },
  });

  const getAlarmHistory = defineTool({
    name: 'get_alarm_history',
    title: 'Alarm history in a time window',
    description:
      'Returns the history of CloudWatch alarms (state changes, configuration updates, actions) in a time window, newest first. ' +
      'Use it to learn when an alarm started or stopped firing, or how often it flapped. Without alarm_name it covers every alarm. ' +
      'State changes carry the old and new state. Paginated with next_token.',
    inputSchema: z.object({
      alarm_name: alarmName.optional().describe('One alarm; omit for all alarms.'),
      item_type: z.enum(['StateUpdate', 'ConfigurationUpdate', 'Action']).optional().describe('Only this kind of history item (default all kinds).'),
      start: timeArg('Window start', '24h'),
      end: timeArg('Window end', 'now'),
      limit: z.number().int().min(1).max(100).default(50).describe('Most items to return (1-100, default 50).'),
      next_token: nextToken,
    }),
    outputSchema: z.object({
      items: z.array(
        z.object({
          alarm_name: z.string(),
          alarm_type: z.enum(['metric', 'composite']),
          item_type: z.string(),
          timestamp: z.string().nullable(),
          summary: z.string(),
          old_state: z.string().nullable(),
          new_state: z.string().nullable(),
        }),
      ),
      count: z.number().int(),
      window: z.object({ start: z.string(), end: z.string() }),
      next_token: z.string().nullable(),
    }),
    annotations: READ_ONLY,
    handler: async ({ alarm_name, item_type, start, end, limit, next_token }, ctx) => {
      const window = timeWindow(start, end, '24h', 31 * 86_400_000);
      const out = await awsCall('cloudwatch:DescribeAlarmHistory', () =>
        cloudwatch.send(
          new DescribeAlarmHistoryCommand({
            ...(alarm_name ? { AlarmName: alarm_name } : {}),
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            ...(item_type ? { HistoryItemType: item_type as HistoryItemType } : {}),
            StartDate: window.start,
            EndDate: window.end,
            MaxRecords: limit,
            ScanBy: 'TimestampDescending',
            ...(next_token ? { NextToken: next_token } : {}),
          }),
          { abortSignal: ctx.signal },
        ),
      );
      const items = (out.AlarmHistoryItems ?? []).slice(0, limit).map((h) => {
        let oldState: string | null = null;
        let newState: string | null = null;
        if (h.HistoryItemType === 'StateUpdate' && h.HistoryData) {
          try {
            const data = JSON.parse(h.HistoryData) as { oldState?: { stateValue?: string }; newState?: { stateValue?: string } };
            oldState = data.oldState?.stateValue ?? null;
            newState = data.newState?.stateValue ?? null;
          } catch {
            // HistoryData is documented as JSON; if it is not, the summary still says what happened.
          }
        }
        return {
          alarm_name: h.AlarmName ?? '',
          alarm_type: h.AlarmType === 'CompositeAlarm' ? ('composite' as const) : ('metric' as const),
          item_type: h.HistoryItemType ?? 'unknown',
          timestamp: h.Timestamp ? h.Timestamp.toISOString() : null,
          summary: truncateText(h.HistorySummary ?? '', 300).text,
          old_state: oldState,
          new_state: newState,
        };
      });
      return {
        items,
        count: items.length,
        window: { start: window.start.toISOString(), end: window.end.toISOString() },
        next_token: out.NextToken || null,
      };
    },
  });

  const describeAlarmsForMetric = defineTool({
    name: 'describe_alarms_for_metric',
    title: 'Alarms watching a metric',
    description:
      'Lists the CloudWatch metric alarms defined on one metric (namespace + metric name, optionally narrowed by dimensions, statistic and period). ' +
      'Use it to find which alarms would fire for a metric you are looking at, and their thresholds and current state. ' +
      'Dimensions must match the alarm exactly (all of them), as in CloudWatch.',
    inputSchema: z.object({
      namespace: z.string().min(1).max(255).describe('Metric namespace, e.g. AWS/ECS or AWS/ApplicationELB.'),
      metric_name: z.string().min(1).max(255).describe('Metric name, e.g. CPUUtilization.'),
      dimensions: z
        .array(z.object({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024) }))
        .max(30)
        .optional()
        .describe('Dimensions of the metric, e.g. [{"name":"ClusterName","value":"prod"},{"name":"ServiceName","value":"api"}].'),
      statistic: z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']).optional().describe('Only alarms using this statistic.'),
      period_seconds: z.number().int().min(1).max(86_400).optional().describe('Only alarms with this period.'),
    }),
    outputSchema: z.object({ alarms: z.array(alarmSummarySchema), count: z.number().int() }),
    annotations: READ_ONLY,
    handler: async ({ namespace, metric_name, dimensions, statistic, period_seconds }, ctx) => {
      const out = await awsCall('cloudwatch:DescribeAlarmsForMetric', () =>
        cloudwatch.send(
          new DescribeAlarmsForMetricCommand({
            Namespace: namespace,
            MetricName: metric_name,
            ...(dimensions ? { Dimensions: dimensions.map((d) => ({ Name: d.name, Value: d.value })) } : {}),
            ...(statistic ? { Statistic: statistic } : {}),
            ...(period_seconds ? { Period: period_seconds } : {}),
          }),
          { abortSignal: ctx.signal },
        ),
      );
      const alarms = (out.MetricAlarms ?? []).map((alarm) => summariseAlarm({ kind: 'metric', alarm }));
      return { alarms, count: alarms.length };
    },
  });

  return [checkAlarms, getActiveAlarms, getAlarmHistory, describeAlarmsForMetric];
}
