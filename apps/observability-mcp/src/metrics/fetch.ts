// GetMetricData across pages with a page cap, merging each query's datapoints by id.
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../aws/errors.js';
import { sortSeries } from './downsample.js';

export interface FetchedSeries {
  id: string;
  label: string;
  statusCode: string;
  series: Array<{ t: number; v: number }>;
}

export interface FetchedMetrics {
  series: FetchedSeries[];
  messages: string[];
  pages: number;
  /** Set when the page cap stopped the fetch before CloudWatch ran out of data. */
  nextToken: string | undefined;
}

export async function fetchMetricData(
  client: CloudWatchClient,
  request: { queries: MetricDataQuery[]; start: Date; end: Date; maxPages: number; nextToken?: string },
  signal?: AbortSignal,
): Promise<FetchedMetrics> {
  const byId = new Map<string, { label: string; statusCode: string; timestamps: Date[]; values: number[] }>();
  const messages = new Set<string>();
  let nextToken = request.nextToken;
  let pages = 0;
  do {
    const out = await awsCall('cloudwatch:GetMetricData', () =>
      client.send(
        new GetMetricDataCommand({
          MetricDataQueries: request.queries,
          StartTime: request.start,
          EndTime: request.end,
          ScanBy: 'TimestampAscending',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    pages += 1;
    for (const r of out.MetricDataResults ?? []) {
      const id = r.Id ?? '';
      let entry = byId.get(id);
      if (!entry) {
        entry = { label: r.Label ?? id, statusCode: r.StatusCode ?? 'Complete', timestamps: [], values: [] };
        byId.set(id, entry);
      }
      entry.statusCode = r.StatusCode ?? entry.statusCode;
      entry.timestamps.push(...(r.Timestamps ?? []));
      entry.values.push(...(r.Values ?? []));
      for (const m of r.Messages ?? []) if (m.Value) messages.add(`${id}: ${m.Value}`);
    }
    for (const m of out.Messages ?? []) if (m.Value) messages.add(m.Value);
    nextToken = out.NextToken || undefined;
  } while (nextToken && pages < request.maxPages);
  return {
    series: [...byId.entries()].map(([id, e]) => ({ id, label: e.label, statusCode: e.statusCode, series: sortSeries(e.timestamps, e.values) })),
    messages: [...messages].slice(0, 20),
    pages,
    nextToken,
  };
}
