// Readiness checks: can we reach AWS with valid credentials, and may we read CloudWatch and Logs?
// Both cost API calls, so their results are reused for AWS_READY_MIN_INTERVAL_MS.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ReadinessCheck } from '@factory/base-server';
import type { AwsClients } from './aws/clients.js';
import { awsCall } from './aws/errors.js';
import type { ObservabilityConfig } from './config.js';

export function awsChecks(clients: AwsClients, config: ObservabilityConfig): ReadinessCheck[] {
  const minIntervalMs = config.AWS_READY_MIN_INTERVAL_MS;
  return [
    {
      name: 'aws_connectivity',
      required: true,
      minIntervalMs,
      run: async (signal) => {
        const id = await awsCall('sts:GetCallerIdentity', () => clients.sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }));
        return { details: { account: id.Account ?? null, region: config.AWS_REGION } };
      },
    },
    {
      name: 'cloudwatch_permissions',
      required: true,
      minIntervalMs,
      run: async (signal) => {
        await Promise.all([
          awsCall('cloudwatch:DescribeAlarms', () => clients.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 1 }), { abortSignal: signal })),
          awsCall('logs:DescribeLogGroups', () => clients.logs.send(new DescribeLogGroupsCommand({ limit: 1 }), { abortSignal: signal })),
        ]);
      },
    },
  ];
}
