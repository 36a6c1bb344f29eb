// Factory metrics to CloudWatch: batched PutMetricData with retries and exponential backoff.
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '@factory/base-server';
import type { ServicePoll } from '../health/types.js';

/** PutMetricData accepts up to 1000 data points per call; stay well below with room for dimensions. */
export const MAX_BATCH = 500;

export interface CloudWatchEmitterOptions {
  client: Pick<CloudWatchClient, 'send'>;
  namespace: string;
  logger: Logger;
  maxAttempts?: number;
  /** Delay before retry n (1-based); default 200 ms × 2^(n-1) with jitter. */
  backoffMs?: (attempt: number) => number;
}

/** Incidents are per service (their failing dependencies are inside); the dimension is kept for dashboards and alarms that filter on it. */
export type IncidentType = 'service';

export class CloudWatchEmitter {
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: CloudWatchEmitterOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? ((n) => 200 * 2 ** (n - 1) * (0.5 + Math.random()));
  }

  /** The data points of one sweep: Availability (unless undefined: another shard sends it), ServiceHealth, DependencyCheckSuccess/Latency. */
  sweepData(polls: readonly ServicePoll[], available: boolean | undefined, at: Date): MetricDatum[] {
    const data: MetricDatum[] = available === undefined ? [] : [{ MetricName: 'Availability', Value: available ? 1 : 0, Unit: 'None', Timestamp: at }];
    for (const p of polls) {
      data.push({ MetricName: 'ServiceHealth', Dimensions: [{ Name: 'ServiceName', Value: p.service }], Value: p.ready ? 1 : 0, Unit: 'None', Timestamp: at });
      for (const [dep, c] of Object.entries(p.checks)) {
        const dims = [
          { Name: 'ServiceName', Value: p.service },
          { Name: 'DependencyName', Value: dep },
        ];
        data.push({ MetricName: 'DependencyCheckSuccess', Dimensions: dims, Value: c.success ? 1 : 0, Unit: 'None', Timestamp: at });
        if (c.latency_ms !== null) data.push({ MetricName: 'DependencyCheckLatency', Dimensions: dims, Value: c.latency_ms, Unit: 'Milliseconds', Timestamp: at });
      }
    }
    return data;
  }

  mttrDatum(type: IncidentType, seconds: number, at: Date): MetricDatum {
    return { MetricName: 'MTTR', Dimensions: [{ Name: 'IncidentType', Value: type }], Value: seconds, Unit: 'Seconds', Timestamp: at };
  }

  /** Sends data in batches; each batch is retried on failure. Resolves with the number of batches that failed for good. */
  async put(data: readonly MetricDatum[]): Promise<number> {
    let failed = 0;
    for (let i = 0; i < data.length; i += MAX_BATCH) {
      const batch = data.slice(i, i + MAX_BATCH);
      if (!(await this.sendWithRetry(batch))) failed++;
    }
    return failed;
  }

  private async sendWithRetry(batch: MetricDatum[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.client.send(new PutMetricDataCommand({ Namespace: this.options.namespace, MetricData: batch }));
        return true;
      } catch (err) {
        const e = err as { name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429 && !e.$retryable;
        if (permanent || attempt >= this.maxAttempts) {
          this.options.logger.warn({ err: { name: e.name, message: e.message }, attempts: attempt, points: batch.length }, 'CloudWatch PutMetricData failed; these points are dropped');
          return false;
        }
        await new Promise((r) => setTimeout(r, this.backoffMs(attempt)));
      }
    }
  }
}

export function createCloudWatchClient(region: string | undefined): CloudWatchClient {
  // Retries are ours (above), so the SDK makes a single attempt per call.
  return new CloudWatchClient({ ...(region ? { region } : {}), maxAttempts: 1 });
}
