// Alarm records trimmed to what an agent needs.
import { z } from '@factory/base-server';
import type { AlarmRecord } from './describe.js';
import { truncateText } from '../shared/truncate.js';

export const alarmStateSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof alarmStateSchema>;

export function normaliseState(value: string | undefined): AlarmState {
  return value === 'OK' || value === 'ALARM' ? value : 'INSUFFICIENT_DATA';
}

export const dimensionsSchema = z.record(z.string(), z.string());

export const alarmSummarySchema = z.object({
  name: z.string(),
  type: z.enum(['metric', 'composite']),
  state: alarmStateSchema,
  reason: z.string(),
  updated_at: z.string().nullable(),
  actions_enabled: z.boolean(),
  metric: z
    .object({
      namespace: z.string().nullable(),
      name: z.string().nullable(),
      dimensions: dimensionsSchema,
      statistic: z.string().nullable(),
      period_seconds: z.number().nullable(),
      comparison: z.string().nullable(),
      threshold: z.number().nullable(),
      evaluation_periods: z.number().nullable(),
    })
    .nullable(),
  rule: z.string().nullable(),
});
export type AlarmSummary = z.infer<typeof alarmSummarySchema>;

const REASON_MAX = 300;

export function summariseAlarm(record: AlarmRecord): AlarmSummary {
  const a = record.alarm;
  const base = {
    name: a.AlarmName ?? '',
    type: record.kind,
    state: normaliseState(a.StateValue),
    reason: truncateText(a.StateReason ?? '', REASON_MAX).text,
    updated_at: a.StateUpdatedTimestamp ? a.StateUpdatedTimestamp.toISOString() : null,
    actions_enabled: a.ActionsEnabled ?? false,
  };
  if (record.kind === 'composite') {
    return { ...base, metric: null, rule: truncateText(record.alarm.AlarmRule ?? '', 1_000).text };
  }
  const m = record.alarm;
  return {
    ...base,
    metric: {
      namespace: m.Namespace ?? null,
      name: m.MetricName ?? (m.Metrics && m.Metrics.length > 0 ? `expression (${m.Metrics.length} queries)` : null),
      dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
      statistic: m.Statistic ?? m.ExtendedStatistic ?? null,
      period_seconds: m.Period ?? null,
      comparison: m.ComparisonOperator ?? null,
      threshold: m.Threshold ?? null,
      evaluation_periods: m.EvaluationPeriods ?? null,
    },
    rule: null,
  };
}
