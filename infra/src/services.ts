// The Factory services as data: one entry per ECS service. The stack turns each entry into a task
// definition, a task role, a log group, a Fargate service and (for HTTP-facing apps) an ALB listener.

/** What a container may be given; resolved by the stack into plain values or Secrets Manager references. */
export type SharedSecret = 'api-key' | 'database-url' | 'github-token' | 'llm-api-key';

export interface ServiceSpec {
  /** ECS service, log group and role name part; also the `service` field of /health. */
  name: string;
  /** The ECR repository (image) the container runs. The memory worker runs the memory image. */
  image: string;
  /** Container command; defaults to the image's CMD (`node --import @factory/base-server/instrument dist/index.js`). */
  command?: string[];
  port: number;
  /** The variable the app reads its port from (the memory worker reads WORKER_PORT). */
  portVariable?: string;
  /** Routed through the load balancer (the worker only serves /health and /metrics to the VPC). */
  public: boolean;
  cpu: number;
  memoryMiB: number;
  /**
   * Plain, non-secret settings. Never put a credential here: the tests reject it. `{stage}`,
   * `{region}`, `{namespace}` and `{metricsNamespace}` are filled in by the stack.
   */
  environment: Record<string, string>;
  /** Settings read from Secrets Manager at task start (never plaintext in the task definition). */
  secrets: Record<string, SharedSecret>;
  /**
   * Every service runs several tasks and shares its rate limits through Redis; memory, the control
   * center and deploy-mcp also queue work there. The database is for apps that keep data.
   */
  uses: { database: boolean; redis: boolean };
  /** The variable the Redis URL goes in: REDIS_URL (the app's queue and limits), or RATE_LIMIT_REDIS_URL (limits only). */
  redisVariable?: 'REDIS_URL' | 'RATE_LIMIT_REDIS_URL';
  /** Readiness dependency names (DESIGN.md): the control center reports DependencyCheckLatency per name. */
  dependencies: string[];
}

export const HEALTH_PATH = '/health';

/** Tasks per service unless the stack is told otherwise: several, so no service is a single process. */
export const DEFAULT_DESIRED_COUNT = 2;

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'control-center',
    image: 'control-center',
    port: 3000,
    public: true,
    cpu: 512,
    memoryMiB: 1024,
    environment: {
      CLOUDWATCH_ENABLED: 'true',
      CLOUDWATCH_NAMESPACE: '{metricsNamespace}',
      AWS_REGION: '{region}',
      SERVICES: JSON.stringify([
        { name: 'github-mcp', url: 'http://github-mcp.{namespace}:3001', required: true, mcp: true },
        { name: 'deploy-mcp', url: 'http://deploy-mcp.{namespace}:3002', required: true, mcp: true },
        { name: 'observability-mcp', url: 'http://observability-mcp.{namespace}:3003', required: true, mcp: true },
        { name: 'memory', url: 'http://memory.{namespace}:3004', required: true, mcp: true },
        { name: 'memory-worker', url: 'http://memory-worker.{namespace}:3005', required: false, mcp: false },
        { name: 'workflow-worker', url: 'http://workflow-worker.{namespace}:3006', required: false, mcp: false },
      ]),
    },
    secrets: { API_KEYS: 'api-key', SERVICES_API_KEY: 'api-key', DATABASE_URL: 'database-url' },
    uses: { database: true, redis: true },
    dependencies: ['database', 'environment'],
  },
  {
    name: 'github-mcp',
    image: 'github-mcp',
    port: 3001,
    public: true,
    cpu: 256,
    memoryMiB: 512,
    environment: {},
    secrets: { API_KEYS: 'api-key', GITHUB_TOKEN: 'github-token' },
    uses: { database: false, redis: true },
    redisVariable: 'RATE_LIMIT_REDIS_URL',
    dependencies: ['github_api', 'authentication'],
  },
  {
    name: 'deploy-mcp',
    image: 'deploy-mcp',
    port: 3002,
    public: true,
    cpu: 256,
    memoryMiB: 512,
    environment: {
      AWS_REGION: '{region}',
      DEPLOY_CLUSTERS: 'factory-{stage}',
      OBSERVABILITY_MCP_URL: 'http://observability-mcp.{namespace}:3003',
      // Audit records of writes (when an operator enables them), shared by the replicas.
      DATABASE_SCHEMA: 'deploy_mcp',
    },
    secrets: { API_KEYS: 'api-key', OBSERVABILITY_MCP_API_KEY: 'api-key', DATABASE_URL: 'database-url' },
    // Redis: durable guard watches that any replica resumes, and shared rate limits.
    uses: { database: true, redis: true },
    dependencies: ['aws_connectivity', 'ecs_permissions'],
  },
  {
    name: 'observability-mcp',
    image: 'observability-mcp',
    port: 3003,
    public: true,
    cpu: 256,
    memoryMiB: 512,
    environment: { AWS_REGION: '{region}' },
    secrets: { API_KEYS: 'api-key' },
    uses: { database: false, redis: true },
    redisVariable: 'RATE_LIMIT_REDIS_URL',
    dependencies: ['aws_connectivity', 'cloudwatch_permissions'],
  },
  {
    name: 'memory',
    image: 'memory',
    port: 3004,
    public: true,
    cpu: 512,
    memoryMiB: 1024,
    environment: { DATABASE_SCHEMA: 'memory' },
    secrets: { API_KEYS: 'api-key', DATABASE_URL: 'database-url', LLM_API_KEY: 'llm-api-key' },
    uses: { database: true, redis: true },
    dependencies: ['database', 'queue', 'llm'],
  },
  {
    name: 'memory-worker',
    image: 'memory',
    command: ['node', '--import', '@factory/base-server/instrument', 'dist/worker.js'],
    port: 3005,
    portVariable: 'WORKER_PORT',
    public: false,
    cpu: 512,
    memoryMiB: 1024,
    environment: { DATABASE_SCHEMA: 'memory' },
    secrets: { API_KEYS: 'api-key', DATABASE_URL: 'database-url', LLM_API_KEY: 'llm-api-key' },
    uses: { database: true, redis: true },
    dependencies: ['database', 'queue'],
  },
  {
    // Runs workflow steps from the BullMQ queue workflow-steps: the control center image, its second
    // entrypoint, scaled on its own so runs continue while the API restarts.
    name: 'workflow-worker',
    image: 'control-center',
    command: ['node', '--import', '@factory/base-server/instrument', 'dist/workflow-worker.js'],
    port: 3006,
    portVariable: 'WORKFLOW_WORKER_PORT',
    public: false,
    cpu: 256,
    memoryMiB: 512,
    environment: {
      // The servers the steps call: the MCP entries of the control center's registry.
      SERVICES: JSON.stringify([
        { name: 'github-mcp', url: 'http://github-mcp.{namespace}:3001', required: true, mcp: true },
        { name: 'deploy-mcp', url: 'http://deploy-mcp.{namespace}:3002', required: true, mcp: true },
        { name: 'observability-mcp', url: 'http://observability-mcp.{namespace}:3003', required: true, mcp: true },
        { name: 'memory', url: 'http://memory.{namespace}:3004', required: true, mcp: true },
      ]),
    },
    secrets: { API_KEYS: 'api-key', SERVICES_API_KEY: 'api-key', DATABASE_URL: 'database-url' },
    uses: { database: true, redis: true },
    dependencies: ['database', 'queue'],
  },
];

/** The distinct images (ECR repositories) the services run. */
export const IMAGES: readonly string[] = [...new Set(SERVICES.map((s) => s.image))];
