// How deploy-mcp words AWS failures: the generic mapping is `mapAwsError` from @factory/aws; these are
// the app name, where the IAM actions are listed, and the ECS-specific not-found/quota errors.
import type { MapAwsErrorOptions } from '@factory/aws';

export const AWS_ERRORS: MapAwsErrorOptions = {
  app: 'deploy-mcp',
  permissionsHint: ' (the full list is in apps/deploy-mcp/iam-actions.json)',
  rules: [
    {
      names: ['ClusterNotFoundException'],
      kind: 'not_found',
      code: 'cluster_not_found',
      message: (action, msg) => `${action}: the cluster does not exist in this account/region (${msg}). Use list_clusters to see the clusters.`,
    },
    {
      names: ['ServiceNotFoundException', 'ServiceNotActiveException'],
      kind: 'not_found',
      code: 'service_not_found',
      message: (action, msg) => `${action}: the service does not exist or is not active (${msg}). Use list_services to see the services.`,
    },
    {
      names: ['ClientException'],
      messagePattern: /unable to describe task definition|task definition.*(not found|does not exist)/i,
      kind: 'not_found',
      code: 'task_definition_not_found',
      message: (action, msg) => `${action}: the task definition does not exist (${msg}). Use list_task_definition_revisions to see the revisions.`,
    },
    {
      // In ECS this is an exhausted account quota (e.g. services per cluster), not throttling.
      names: ['LimitExceededException'],
      kind: 'bad_request',
      code: 'aws_limit_exceeded',
      message: (action, msg) => `AWS refused ${action} because an account quota is exhausted: ${msg}.`,
    },
  ],
};
