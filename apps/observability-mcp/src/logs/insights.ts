// Logs Insights: start a query, poll for its results within a bounded wait, shape the rows.
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueryResultsCommand, type CloudWatchLogsClient, type GetQueryResultsCommandOutput, type ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { z } from '@factory/base-server';
import { awsCall } from '../aws/errors.js';
import { truncateText } from '../shared/truncate.js';

export const TERMINAL_STATUSES = new Set(['Complete', 'Failed', 'Cancelled', 'Timeout']);

export const insightsResultSchema = z.object({
  query_id: z.string(),
  status: z.string().describe('Scheduled, Running, Complete, Failed, Cancelled, Timeout or Unknown.'),
  complete: z.boolean().describe('true when the query has finished (in any terminal status); false means fetch again later.'),
  rows: z.array(z.record(z.string(), z.string())),
  rows_returned: z.number().int(),
  rows_omitted: z.number().int().describe('Rows left out to keep the answer small; narrow the query or add | limit.'),
  values_truncated: z.number().int().describe('Field values cut to the per-value length limit.'),
  statistics: z.object({ records_matched: z.number().nullable(), records_scanned: z.number().nullable(), bytes_scanned: z.number().nullable() }),
  message: z.string(),
});
export type InsightsResult = z.infer<typeof insightsResultSchema>;

export interface ShapeLimits {
  maxRows: number;
  valueMaxChars: number;
  outputMaxChars: number;
}

export function shapeRows(results: ResultField[][], limits: ShapeLimits) {
  const rows: Array<Record<string, string>> = [];
  let truncated = 0;
  let chars = 0;
  let omitted = 0;
  for (const fields of results) {
    if (rows.length >= limits.maxRows || chars >= limits.outputMaxChars) {
      omitted += 1;
      continue;
    }
    const row: Record<string, string> = {};
    for (const f of fields) {
      if (!f.field || f.field === '@ptr') continue;
      const cut = truncateText(f.value ?? '', limits.valueMaxChars);
      if (cut.omitted > 0) truncated += 1;
      row[f.field] = cut.text;
      chars += f.field.length + cut.text.length;
    }
    rows.push(row);
  }
  return { rows, omitted, truncated };
}

export function toInsightsResult(queryId: string, out: GetQueryResultsCommandOutput | undefined, limits: ShapeLimits): InsightsResult {
  const status = out?.status ?? 'Running';
  const complete = TERMINAL_STATUSES.has(status);
  const shaped = shapeRows(out?.results ?? [], limits);
  const message = !complete
    ? `The query is still ${status.toLowerCase()}; call get_logs_insights_results with query_id "${queryId}" to fetch its results.`
    : status === 'Complete'
      ? `${shaped.rows.length} row(s) returned${shaped.omitted ? `, ${shaped.omitted} omitted` : ''}.`
      : `The query ended with status ${status}; fix the query or narrow the window and run it again.`;
  return {
    query_id: queryId,
    status,
    complete,
    rows: shaped.rows,
    rows_returned: shaped.rows.length,
    rows_omitted: shaped.omitted,
    values_truncated: shaped.truncated,
    statistics: {
      records_matched: out?.statistics?.recordsMatched ?? null,
      records_scanned: out?.statistics?.recordsScanned ?? null,
      bytes_scanned: out?.statistics?.bytesScanned ?? null,
    },
    message,
  };
}

export async function getQueryResults(client: CloudWatchLogsClient, queryId: string, signal?: AbortSignal) {
  return awsCall('logs:GetQueryResults', () => client.send(new GetQueryResultsCommand({ queryId }), signal ? { abortSignal: signal } : {}));
}

/**
 * Polls GetQueryResults every pollIntervalMs until the query finishes or maxWaitMs has passed; returns the
 * last answer (undefined when the wait was zero and no poll happened).
 */
export async function pollQuery(
  client: CloudWatchLogsClient,
  queryId: string,
  options: { maxWaitMs: number; pollIntervalMs: number },
  signal?: AbortSignal,
): Promise<GetQueryResultsCommandOutput | undefined> {
  const deadline = Date.now() + options.maxWaitMs;
  let last: GetQueryResultsCommandOutput | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return last;
    await sleep(Math.min(options.pollIntervalMs, remaining), undefined, signal ? { signal } : {});
    last = await getQueryResults(client, queryId, signal);
    if (TERMINAL_STATUSES.has(last.status ?? '')) return last;
  }
}
