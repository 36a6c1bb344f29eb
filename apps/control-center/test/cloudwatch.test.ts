import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { createLogger } from '@factory/base-server';
import { CloudWatchEmitter, MAX_BATCH } from '../src/metrics/cloudwatch-emitter.js';
import { buildControlCenter, services, startFixture, type Fixture } from './helpers.js';

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
const client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' } });
const cw = mockClient(client);
beforeEach(() => {
  cw.reset();
});

const datum = (i: number): MetricDatum => ({ MetricName: 'ServiceHealth', Value: i % 2, Dimensions: [{ Name: 'ServiceName', Value: `s${i}` }] });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 }, $retryable: { throttling: true } });

describe('CloudWatch emitter', () => {
  it('splits the data points into batches of at most MAX_BATCH per PutMetricData call, in the configured namespace', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const emitter = new CloudWatchEmitter({ client, namespace: 'Factory/Test', logger, backoffMs: () => 0 });
    const failed = await emitter.put(Array.from({ length: MAX_BATCH * 2 + 7 }, (_, i) => datum(i)));
    expect(failed).toBe(0);
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricData?.length)).toEqual([MAX_BATCH, MAX_BATCH, 7]);
    expect(calls.every((c) => c.args[0].input.Namespace === 'Factory/Test')).toBe(true);
    expect(calls[2]?.args[0].input.MetricData?.[6]?.Dimensions).toEqual([{ Name: 'ServiceName', Value: `s${MAX_BATCH * 2 + 6}` }]);
  });

  it('retries a throttled batch and succeeds', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const emitter = new CloudWatchEmitter({ client, namespace: 'Factory', logger, maxAttempts: 3, backoffMs: () => 0 });
    expect(await emitter.put([datum(1)])).toBe(0);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(3);
  });

  it('gives up after maxAttempts and reports the batch as failed without throwing', async () => {
    cw.on(PutMetricDataCommand).rejects(throttled());
    const emitter = new CloudWatchEmitter({ client, namespace: 'Factory', logger, maxAttempts: 4, backoffMs: () => 0 });
    expect(await emitter.put([datum(1)])).toBe(1);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(4);
  });

  it('does not retry a request CloudWatch rejects as invalid', async () => {
    cw.on(PutMetricDataCommand).rejects(Object.assign(new Error('bad value'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } }));
    const emitter = new CloudWatchEmitter({ client, namespace: 'Factory', logger, maxAttempts: 3, backoffMs: () => 0 });
    expect(await emitter.put([datum(1)])).toBe(1);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1);
  });
});

describe('factory metrics from sweeps', () => {
  let memory: Fixture;
  let cc: Awaited<ReturnType<typeof buildControlCenter>>;
  beforeAll(async () => {
    memory = await startFixture('memory', { deps: [{ name: 'database', required: true }, { name: 'queue', required: false }] });
    cc = await buildControlCenter(
      {
        SERVICES: services([{ name: 'memory', url: memory.url, mcp: false }]),
        CLOUDWATCH_ENABLED: 'true',
        CLOUDWATCH_NAMESPACE: 'Factory/CI',
        AWS_REGION: 'eu-west-1',
        INCIDENT_FAILURE_THRESHOLD: '1',
      },
      { cloudwatch: client, cloudwatchBackoffMs: () => 0 },
    );
    await cc.service.start();
  });
  afterAll(async () => {
    await cc.service.stop();
    await memory.stop();
  });

  const sent = () => cw.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);

  it('emits Availability, ServiceHealth and per-dependency success and latency on each sweep', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    await cc.collector.sweep();
    const data = sent();
    expect(cw.commandCalls(PutMetricDataCommand)[0]?.args[0].input.Namespace).toBe('Factory/CI');
    expect(data.find((d) => d.MetricName === 'Availability')).toMatchObject({ Value: 1 });
    expect(data.find((d) => d.MetricName === 'ServiceHealth')).toMatchObject({ Value: 1, Dimensions: [{ Name: 'ServiceName', Value: 'memory' }] });
    const success = data.filter((d) => d.MetricName === 'DependencyCheckSuccess');
    expect(success.map((d) => d.Dimensions?.[1]?.Value).sort()).toEqual(['database', 'queue']);
    expect(success.every((d) => d.Value === 1)).toBe(true);
    const latency = data.find((d) => d.MetricName === 'DependencyCheckLatency');
    expect(latency).toMatchObject({ Unit: 'Milliseconds', Dimensions: [{ Name: 'ServiceName', Value: 'memory' }, { Name: 'DependencyName', Value: expect.any(String) }] });
  });

  it('emits Availability 0 while a required service is not ready, and the MTTR of its one incident when it recovers', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    memory.setFailing('database', true);
    await cc.collector.sweep();
    let data = sent();
    expect(data.find((d) => d.MetricName === 'Availability')).toMatchObject({ Value: 0 });
    expect(data.find((d) => d.MetricName === 'DependencyCheckSuccess' && d.Dimensions?.[1]?.Value === 'database')).toMatchObject({ Value: 0 });
    expect(data.some((d) => d.MetricName === 'MTTR')).toBe(false);

    cw.reset();
    cw.on(PutMetricDataCommand).resolves({});
    memory.setFailing('database', false);
    await cc.collector.sweep();
    data = sent();
    const mttr = data.filter((d) => d.MetricName === 'MTTR');
    expect(mttr.map((d) => d.Dimensions?.[0])).toEqual([{ Name: 'IncidentType', Value: 'service' }]);
    expect(mttr.every((d) => d.Unit === 'Seconds' && typeof d.Value === 'number' && d.Value >= 0)).toBe(true);
  });

  it('keeps sweeping when CloudWatch is failing', async () => {
    cw.on(PutMetricDataCommand).rejects(throttled());
    const r = await cc.collector.sweep();
    expect(r.polls[0]?.status).toBe('up');
    expect(cc.logs.text()).toContain('CloudWatch PutMetricData failed');
  });
});
