import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { startTestService, awsError, textOf, type TestService } from './helpers.js';

const t = new Date('2026-01-02T03:04:05.000Z');

describe('check_alarms (the deploy guard)', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService();
  });
  afterAll(async () => {
    await s.stop();
  });
  beforeEach(() => {
    s.cwMock.reset();
  });

  it('reports any_in_alarm with metric and composite alarms and lists requested names that do not exist', async () => {
    s.cwMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'api-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 1 datapoint [12.0] > 5', StateUpdatedTimestamp: t },
        { AlarmName: 'api-cpu', StateValue: 'OK', StateReason: 'fine' },
      ],
      CompositeAlarms: [{ AlarmName: 'api-composite', StateValue: 'INSUFFICIENT_DATA', StateReason: 'no data', StateUpdatedTimestamp: t }],
    });
    const r = await s.call('check_alarms', { names: ['api-5xx', 'api-cpu', 'api-composite', 'api-gone'] });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({
      any_in_alarm: true,
      checked: 3,
      alarms: [
        { name: 'api-5xx', type: 'metric', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [12.0] > 5', updated_at: t.toISOString() },
        { name: 'api-composite', type: 'composite', state: 'INSUFFICIENT_DATA', reason: 'no data', updated_at: t.toISOString() },
        { name: 'api-cpu', type: 'metric', state: 'OK', reason: 'fine', updated_at: null },
      ],
      missing: ['api-gone'],
    });
    const input = s.cwMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input;
    expect(input.AlarmNames).toEqual(['api-5xx', 'api-cpu', 'api-composite', 'api-gone']);
    expect(input.AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
    expect(textOf(r)).toContain('api-5xx');
  });

  it('says no alarm is firing when every matched alarm is OK', async () => {
    s.cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'svc-a', StateValue: 'OK' }], CompositeAlarms: [] });
    const r = await s.call('check_alarms', { prefix: 'svc-' });
    expect(r.structuredContent).toMatchObject({ any_in_alarm: false, checked: 1, missing: [] });
    expect(s.cwMock.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input.AlarmNamePrefix).toBe('svc-');
  });

  it('follows every page of a prefix query, so an alarm on the last page is not missed', async () => {
    s.cwMock
      .on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({ MetricAlarms: [{ AlarmName: 'p-1', StateValue: 'OK' }], NextToken: 'page2' })
      .on(DescribeAlarmsCommand, { NextToken: 'page2' })
      .resolves({ MetricAlarms: [{ AlarmName: 'p-2', StateValue: 'OK' }], NextToken: 'page3' })
      .on(DescribeAlarmsCommand, { NextToken: 'page3' })
      .resolves({ CompositeAlarms: [{ AlarmName: 'p-3', StateValue: 'ALARM' }] });
    const r = await s.call('check_alarms', { prefix: 'p-' });
    expect(r.structuredContent).toMatchObject({ any_in_alarm: true, checked: 3 });
    expect(s.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
  });

  it('checks the union of names and prefix without counting an alarm twice', async () => {
    s.cwMock
      .on(DescribeAlarmsCommand, { AlarmNames: ['x-1', 'other'] })
      .resolves({ MetricAlarms: [{ AlarmName: 'x-1', StateValue: 'OK' }, { AlarmName: 'other', StateValue: 'OK' }] })
      .on(DescribeAlarmsCommand, { AlarmNamePrefix: 'x-' })
      .resolves({ MetricAlarms: [{ AlarmName: 'x-1', StateValue: 'OK' }, { AlarmName: 'x-2', StateValue: 'OK' }] });
    const r = await s.call('check_alarms', { names: ['x-1', 'other', 'x-1'], prefix: 'x-' });
    expect(r.structuredContent?.checked).toBe(3);
    expect(r.structuredContent?.alarms.map((a: { name: string }) => a.name)).toEqual(['other', 'x-1', 'x-2']);
  });

  it('refuses to answer from a partial view when a prefix matches more alarms than it may read', async () => {
    s.cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'big', StateValue: 'OK' }], NextToken: 'more' });
    const r = await s.call('check_alarms', { prefix: 'b' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/longer prefix or explicit names/);
    expect(s.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(50);
  });

  it('rejects a call with neither names nor prefix, and bad names, without calling AWS', async () => {
    for (const args of [{}, { names: [] }, { names: Array.from({ length: 101 }, (_, i) => `a${i}`) }, { names: [''] }]) {
      const r = await s.call('check_alarms', args);
      expect(r.isError).toBe(true);
    }
    expect(s.cwMock.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('turns an AWS access-denied error into an isError result naming the permission', async () => {
    s.cwMock.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform cloudwatch:DescribeAlarms', 403));
    const r = await s.call('check_alarms', { names: ['a'] });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/AWS denied cloudwatch:DescribeAlarms/);
  });
});
