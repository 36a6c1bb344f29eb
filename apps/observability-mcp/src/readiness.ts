// Readiness checks: can we reach AWS with valid credentials (the shared `aws_connectivity` check of
// @factory/aws), and may we read CloudWatch and Logs? Both cost API calls, so their results are
// reused for AWS_READY_MIN_INTERVAL_MS.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awsConnectivityCheck, awsSetupGap } from '@factory/aws';
import type { ReadinessCheck } from '@factory/base-server';
import type { AwsClients } from './aws/clients.js';
import { AWS_ERRORS, awsCall } from './aws/errors.js';
import type { ObservabilityConfig } from './config.js';

export function awsChecks(clients: AwsClients, config: ObservabilityConfig): ReadinessCheck[] {
  const minIntervalMs = config.AWS_READY_MIN_INTERVAL_MS;
  return [
    awsConnectivityCheck(clients.sts, { minIntervalMs, errors: AWS_ERRORS }),
    {
      name: 'cloudwatch_permissions',
      required: true,
      minIntervalMs,
      run: async (signal) => {
        // Without a region or credentials there is nothing to check yet; aws_connectivity says what to set.
        const gap = await awsSetupGap(clients.cloudwatch);
        if (gap) return gap;
        await Promise.all([
          awsCall('cloudwatch:DescribeAlarms', () => clients.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 1 }), { abortSignal: signal })),
          awsCall('logs:DescribeLogGroups', () => clients.logs.send(new DescribeLogGroupsCommand({ limit: 1 }), { abortSignal: signal })),
        ]);
      },
    },
  ];
}
