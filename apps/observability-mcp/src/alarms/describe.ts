// DescribeAlarms across pages, metric and composite alarms alike, with a page cap.
import { DescribeAlarmsCommand, type CloudWatchClient, type CompositeAlarm, type MetricAlarm, type StateValue } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../aws/errors.js';

export type AlarmKind = 'metric' | 'composite';
export type AlarmRecord = { kind: 'metric'; alarm: MetricAlarm } | { kind: 'composite'; alarm: CompositeAlarm };

export interface DescribeAlarmsQuery {
  names?: string[];
  prefix?: string;
  state?: StateValue;
  kinds?: AlarmKind[];
  /** Records per page (DescribeAlarms allows 1..100). */
  pageSize?: number;
  nextToken?: string;
}

export interface DescribeAlarmsPage {
  alarms: AlarmRecord[];
  nextToken: string | undefined;
  pages: number;
}

/**
 * Fetches pages until there are none left, `maxRecords` alarms were collected, or `maxPages` pages were
 * read; the returned nextToken is set whenever more may exist.
 */
export async function describeAlarms(
  client: CloudWatchClient,
  query: DescribeAlarmsQuery,
  limits: { maxPages: number; maxRecords?: number },
  signal?: AbortSignal,
): Promise<DescribeAlarmsPage> {
  const kinds = query.kinds ?? ['metric', 'composite'];
  const alarms: AlarmRecord[] = [];
  let nextToken = query.nextToken;
  let pages = 0;
  do {
    const remaining = limits.maxRecords === undefined ? 100 : limits.maxRecords - alarms.length;
    const out = await awsCall('cloudwatch:DescribeAlarms', () =>
      client.send(
        new DescribeAlarmsCommand({
          ...(query.names ? { AlarmNames: query.names } : {}),
          ...(query.prefix ? { AlarmNamePrefix: query.prefix } : {}),
          ...(query.state ? { StateValue: query.state } : {}),
          AlarmTypes: kinds.map((k) => (k === 'metric' ? 'MetricAlarm' : 'CompositeAlarm')),
          MaxRecords: Math.max(1, Math.min(query.pageSize ?? 100, remaining, 100)),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    pages += 1;
    for (const a of out.MetricAlarms ?? []) alarms.push({ kind: 'metric', alarm: a });
    for (const a of out.CompositeAlarms ?? []) alarms.push({ kind: 'composite', alarm: a });
    nextToken = out.NextToken || undefined;
  } while (nextToken && pages < limits.maxPages && (limits.maxRecords === undefined || alarms.length < limits.maxRecords));
  return { alarms, nextToken, pages };
}
