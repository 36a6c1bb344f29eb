// Readiness: `aws_connectivity` (who are we? shared, from @factory/aws) and `ecs_permissions` (can we
// describe our clusters?). Both cost AWS API calls, so each reuses its last result for
// DEPLOY_READY_MIN_INTERVAL_MS.
import type { STSClient } from '@aws-sdk/client-sts';
import { awsConnectivityCheck, awsSetupGap } from '@factory/aws';
import type { ReadinessCheck } from '@factory/base-server';
import type { EcsGateway } from '../ecs/ecs-gateway.js';
import { AWS_ERRORS } from '../aws/aws-errors.js';

export function awsChecks(ecs: EcsGateway, sts: STSClient, options: { clusters: readonly string[]; minIntervalMs: number }): ReadinessCheck[] {
  const reuse = options.minIntervalMs > 0 ? { minIntervalMs: options.minIntervalMs } : {};
  const connectivity = awsConnectivityCheck(sts, { minIntervalMs: options.minIntervalMs, errors: AWS_ERRORS });
  const permissions: ReadinessCheck = {
    name: 'ecs_permissions',
    required: true,
    ...reuse,
    async run(signal) {
      // Without a region or credentials there is nothing to check yet; aws_connectivity says what to set.
      const gap = await awsSetupGap(sts);
      if (gap) return gap;
      if (options.clusters.length === 0) {
        // Nothing configured to describe: prove at least that ECS answers and lists clusters.
        const arns = await ecs.listClusterArns(1, signal);
        return {
          status: 'warning',
          message: 'DEPLOY_CLUSTERS is not set; only ecs:ListClusters was checked. Set DEPLOY_CLUSTERS to check the clusters you deploy to.',
          details: { clusters_visible: arns.length },
        };
      }
      const { clusters, failures } = await ecs.describeClusters(options.clusters, signal);
      const inactive = clusters.filter((c) => c.status !== 'ACTIVE').map((c) => `${c.clusterName} (${c.status})`);
      const missing = failures.map((f) => `${(f.arn ?? '').split('/').pop()} (${f.reason ?? 'MISSING'})`);
      if (missing.length || inactive.length) {
        throw new Error(`cluster(s) not usable: ${[...missing, ...inactive].join(', ')}; check DEPLOY_CLUSTERS and the region`);
      }
      return { details: { clusters: clusters.map((c) => c.clusterName) } };
    },
  };
  return [connectivity, permissions];
}
