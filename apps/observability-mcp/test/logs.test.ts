import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeLogGroupsCommand, FilterLogEventsCommand, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startTestService, awsError, textOf, type TestService } from './helpers.js';

describe('log tools', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService({ AWS_MAX_PAGES: '4', LOG_LINE_MAX_CHARS: '60', LOG_OUTPUT_MAX_CHARS: '1000', LOGS_QUERY_MAX_WAIT_MS: '60000' });
  });
  afterAll(async () => {
    await s.stop();
  });
  beforeEach(() => {
    s.logsMock.reset();
  });

  describe('describe_log_groups', () => {
    it('lists groups by prefix with size, retention and creation time', async () => {
      s.logsMock.on(DescribeLogGroupsCommand).resolves({
        logGroups: [{ logGroupName: '/ecs/api', storedBytes: 1024, retentionInDays: 30, creationTime: Date.UTC(2025, 5, 1), logGroupClass: 'STANDARD' }, { logGroupName: '/ecs/web' }],
        nextToken: 'n2',
      });
      const r = await s.call('describe_log_groups', { prefix: '/ecs/', limit: 2 });
      expect(r.structuredContent).toEqual({
        log_groups: [
          { name: '/ecs/api', stored_bytes: 1024, retention_days: 30, created_at: '2025-06-01T00:00:00.000Z', class: 'STANDARD' },
          { name: '/ecs/web', stored_bytes: null, retention_days: null, created_at: null, class: null },
        ],
        count: 2,
        next_token: 'n2',
      });
      expect(s.logsMock.commandCalls(DescribeLogGroupsCommand)[0]!.args[0].input).toEqual({ logGroupNamePrefix: '/ecs/', limit: 2 });
    });
  });

  describe('filter_log_events', () => {
    it('passes group, pattern and window and truncates long lines, counting what was cut', async () => {
      const long = 'E'.repeat(200);
      s.logsMock.on(FilterLogEventsCommand).resolves({
        events: [
          { timestamp: Date.UTC(2026, 0, 1, 10), logStreamName: 'ecs/api/1', message: 'ERROR short\n' },
          { timestamp: Date.UTC(2026, 0, 1, 11), logStreamName: 'ecs/api/2', message: long },
        ],
      });
      const r = await s.call('filter_log_events', { log_group: '/ecs/api', pattern: 'ERROR', start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', limit: 10 });
      const out = r.structuredContent!;
      expect(out.events[0]).toEqual({ timestamp: '2026-01-01T10:00:00.000Z', stream: 'ecs/api/1', message: 'ERROR short' });
      expect(out.events[1].message).toHaveLength(60);
      expect(out.events[1].message.endsWith('…')).toBe(true);
      expect(out).toMatchObject({ count: 2, lines_truncated: 1, chars_omitted: 141, events_omitted: 0, next_token: null });
      expect(s.logsMock.commandCalls(FilterLogEventsCommand)[0]!.args[0].input).toEqual({
        logGroupName: '/ecs/api',
        filterPattern: 'ERROR',
        startTime: Date.UTC(2026, 0, 1),
        endTime: Date.UTC(2026, 0, 2),
        limit: 10,
      });
    });

    it('keeps reading pages that came back empty until it has events, and stops at the limit', async () => {
      s.logsMock
        .on(FilterLogEventsCommand, { nextToken: undefined })
        .resolves({ events: [], nextToken: 't1' })
        .on(FilterLogEventsCommand, { nextToken: 't1' })
        .resolves({ events: [{ timestamp: 1, logStreamName: 's', message: 'a' }], nextToken: 't2' })
        .on(FilterLogEventsCommand, { nextToken: 't2' })
        .resolves({ events: [{ timestamp: 2, logStreamName: 's', message: 'b' }], nextToken: 't3' });
      const r = await s.call('filter_log_events', { log_group: '/g', limit: 2 });
      expect(r.structuredContent).toMatchObject({ count: 2, next_token: 't3' });
      const calls = s.logsMock.commandCalls(FilterLogEventsCommand);
      expect(calls).toHaveLength(3);
      expect(calls[1]!.args[0].input.limit).toBe(2);
      expect(calls[2]!.args[0].input.limit).toBe(1);
    });

    it('stops at the page cap and hands back the next token', async () => {
      s.logsMock.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'again' });
      const r = await s.call('filter_log_events', { log_group: '/g' });
      expect(s.logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(4);
      expect(r.structuredContent).toMatchObject({ count: 0, next_token: 'again' });
    });

    it('leaves out events past the output budget and counts them', async () => {
      const events = Array.from({ length: 40 }, (_, i) => ({ timestamp: i, logStreamName: 's', message: `${i}:`.padEnd(60, 'x') }));
      s.logsMock.on(FilterLogEventsCommand).resolves({ events });
      const r = await s.call('filter_log_events', { log_group: '/g', limit: 100 });
      const out = r.structuredContent!;
      expect(out.count).toBeLessThan(40);
      expect(out.count + out.events_omitted).toBe(40);
      expect(out.events_omitted).toBeGreaterThan(0);
    });

    it('reports a missing log group as a clear isError', async () => {
      s.logsMock.on(FilterLogEventsCommand).rejects(awsError('ResourceNotFoundException', 'The specified log group does not exist.'));
      const r = await s.call('filter_log_events', { log_group: '/nope' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^logs:FilterLogEvents: The specified log group does not exist\./);
    });
  });

  describe('Logs Insights', () => {
    const row = (msg: string) => [
      { field: '@timestamp', value: '2026-01-01 00:00:00.000' },
      { field: '@message', value: msg },
      { field: '@ptr', value: 'CmAKJwoj...' },
    ];

    it('starts a query, polls until it completes within the wait, and returns shaped rows', async () => {
      s.logsMock.on(StartQueryCommand).resolves({ queryId: 'q-1' });
      s.logsMock
        .on(GetQueryResultsCommand)
        .resolvesOnce({ status: 'Scheduled' })
        .resolvesOnce({ status: 'Running', results: [row('partial')] })
        .resolves({ status: 'Complete', results: [row('first'), row('L'.repeat(100))], statistics: { recordsMatched: 2, recordsScanned: 50, bytesScanned: 4096 } });
      const r = await s.call('run_logs_insights_query', {
        log_groups: ['/ecs/api', '/ecs/web'],
        query: 'fields @timestamp, @message | limit 5',
        start: '2026-01-01T00:00:00Z',
        end: '2026-01-01T01:00:00Z',
        limit: 5,
      });
      expect(r.isError).toBeFalsy();
      const out = r.structuredContent!;
      expect(out).toMatchObject({
        query_id: 'q-1',
        status: 'Complete',
        complete: true,
        rows_returned: 2,
        rows_omitted: 0,
        values_truncated: 1,
        statistics: { records_matched: 2, records_scanned: 50, bytes_scanned: 4096 },
      });
      expect(out.rows[0]).toEqual({ '@timestamp': '2026-01-01 00:00:00.000', '@message': 'first' });
      expect(out.rows[1]['@message']).toHaveLength(60);
      expect(s.logsMock.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
      expect(s.logsMock.commandCalls(StartQueryCommand)[0]!.args[0].input).toEqual({
        logGroupNames: ['/ecs/api', '/ecs/web'],
        queryString: 'fields @timestamp, @message | limit 5',
        startTime: Date.UTC(2026, 0, 1) / 1000,
        endTime: Date.UTC(2026, 0, 1, 1) / 1000,
        limit: 5,
      });
    });

    it('returns the query id with complete=false when the wait runs out, and the results can be fetched later', async () => {
      s.logsMock.on(StartQueryCommand).resolves({ queryId: 'q-slow' });
      s.logsMock.on(GetQueryResultsCommand).resolves({ status: 'Running' });
      const r = await s.call('run_logs_insights_query', { log_groups: ['/g'], query: 'stats count(*)', wait_seconds: 0.1 });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ query_id: 'q-slow', status: 'Running', complete: false, rows: [] });
      expect(r.structuredContent!.message).toMatch(/get_logs_insights_results with query_id "q-slow"/);
      expect(s.logsMock.commandCalls(GetQueryResultsCommand).length).toBeGreaterThanOrEqual(1);

      s.logsMock.on(GetQueryResultsCommand, { queryId: 'q-slow' }).resolves({ status: 'Complete', results: [[{ field: 'count(*)', value: '42' }]] });
      const later = await s.call('get_logs_insights_results', { query_id: 'q-slow' });
      expect(later.structuredContent).toMatchObject({ query_id: 'q-slow', status: 'Complete', complete: true, rows: [{ 'count(*)': '42' }] });
    });

    it('returns immediately with the query id when wait_seconds is 0', async () => {
      s.logsMock.on(StartQueryCommand).resolves({ queryId: 'q-0' });
      s.logsMock.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [] });
      const r = await s.call('run_logs_insights_query', { log_groups: ['/g'], query: 'fields @message', wait_seconds: 0 });
      expect(r.structuredContent).toMatchObject({ query_id: 'q-0', complete: false });
      expect(s.logsMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
    });

    it('caps rows at the limit and counts the rest', async () => {
      s.logsMock.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: Array.from({ length: 8 }, (_, i) => row(`m${i}`)) });
      const r = await s.call('get_logs_insights_results', { query_id: 'q', limit: 3 });
      expect(r.structuredContent).toMatchObject({ rows_returned: 3, rows_omitted: 5 });
    });

    it('reports a failed query as finished with a message saying to fix it', async () => {
      s.logsMock.on(GetQueryResultsCommand).resolves({ status: 'Failed' });
      const r = await s.call('get_logs_insights_results', { query_id: 'q-bad' });
      expect(r.structuredContent).toMatchObject({ status: 'Failed', complete: true });
      expect(r.structuredContent!.message).toMatch(/fix the query/);
    });

    it('maps a malformed query to an isError result and never polls', async () => {
      s.logsMock.on(StartQueryCommand).rejects(awsError('MalformedQueryException', 'unexpected symbol found | at line 1'));
      const r = await s.call('run_logs_insights_query', { log_groups: ['/g'], query: 'fields ||' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toBe('AWS rejected logs:StartQuery as invalid: unexpected symbol found | at line 1. Check the arguments and try again.');
      expect(s.logsMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
    });
  });
});
