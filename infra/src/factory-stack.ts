// The Factory runtime on AWS: network, ECS cluster, one Fargate service per app with its own task role,
// an ALB with a listener per public service, RDS Postgres, ElastiCache Redis (noeviction), secrets,
// log groups, alarms on the factory metrics and a dashboard.
import { CfnOutput, Duration, Fn, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { CONTROL_CENTER_ACTIONS, DEFAULT_METRICS_NAMESPACE, OBSERVABILITY_ACTIONS } from './permissions.js';
import { DEFAULT_DESIRED_COUNT, HEALTH_PATH, SERVICES, type ServiceSpec, type SharedSecret } from './services.js';
import { repositoryName } from './registry-stack.js';

export interface FactoryStackProps extends StackProps {
  /** `staging` or `production`; part of every name. */
  stage: string;
  /** The exact IAM actions deploy-mcp's tools call (apps/deploy-mcp/iam-actions.json). */
  deployMcpActions: readonly string[];
  /** Image tag to run; CI deploys new tags by registering task-definition revisions. */
  imageTag?: string;
  /** Tasks per service (default DEFAULT_DESIRED_COUNT = 2: replicas share limits and work through Redis and Postgres). */
  desiredCount?: number;
  metricsNamespace?: string;
  /** With a certificate the listeners speak HTTPS; without, HTTP (put the ALB behind your own TLS then). */
  certificateArn?: string;
  /** Extra host names clients use (a custom domain pointing at the ALB). */
  domainNames?: string[];
  alarmEmail?: string;
  /** Milliseconds above which a dependency check's p95 latency raises an alarm. */
  dependencyLatencyThresholdMs?: number;
}

const pascal = (name: string) =>
  name
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

/** The CloudFormation Cloud Map namespace services use to reach each other. */
export const SERVICE_NAMESPACE = 'factory.internal';

export class FactoryStack extends Stack {
  readonly taskRoles = new Map<string, iam.Role>();
  readonly services = new Map<string, ecs.FargateService>();

  constructor(scope: Construct, id: string, props: FactoryStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const production = stage === 'production';
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const imageTag = props.imageTag ?? 'latest';
    const latencyThreshold = props.dependencyLatencyThresholdMs ?? 2_000;

    // ---- network
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: production ? 2 : 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: `factory-${stage}`,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      defaultCloudMapNamespace: { name: SERVICE_NAMESPACE, useForServiceConnect: false },
    });

    // ---- data: RDS Postgres and ElastiCache Redis
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, production ? ec2.InstanceSize.SMALL : ec2.InstanceSize.MICRO),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      databaseName: 'factory',
      // The password goes into a URL: leave out characters that would need escaping there.
      credentials: rds.Credentials.fromGeneratedSecret('factory', {
        secretName: `factory/${stage}/database-credentials`,
        excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\=,^.',
      }),
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageEncrypted: true,
      multiAz: production,
      backupRetention: Duration.days(production ? 14 : 3),
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    const dbSecret = database.secret;
    if (!dbSecret) throw new Error('the database was created without a generated secret');
    // DATABASE_URL as its own secret, assembled by CloudFormation from dynamic references: the password
    // never appears in the template or in a task definition.
    const databaseUrl = new secretsmanager.Secret(this, 'DatabaseUrl', {
      secretName: `factory/${stage}/database-url`,
      description: 'postgres:// URL the services read as DATABASE_URL',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', [
          'postgres://',
          dbSecret.secretValueFromJson('username').unsafeUnwrap(),
          ':',
          dbSecret.secretValueFromJson('password').unsafeUnwrap(),
          '@',
          database.dbInstanceEndpointAddress,
          ':',
          database.dbInstanceEndpointPort,
          '/factory?sslmode=no-verify',
        ]),
      ),
    });

    const redisSecurityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', { vpc, description: 'Factory Redis', allowAllOutbound: false });
    const redisParameters = new elasticache.CfnParameterGroup(this, 'RedisParameters', {
      cacheParameterGroupFamily: 'redis7',
      description: 'Factory: BullMQ needs noeviction (a queue must never lose keys under memory pressure)',
      properties: { 'maxmemory-policy': 'noeviction' },
    });
    const redisSubnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'Factory Redis subnets',
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: `Factory ${stage} queues`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: production ? 'cache.t4g.small' : 'cache.t4g.micro',
      numCacheClusters: production ? 2 : 1,
      automaticFailoverEnabled: production,
      multiAzEnabled: production,
      cacheParameterGroupName: redisParameters.ref,
      cacheSubnetGroupName: redisSubnets.ref,
      securityGroupIds: [redisSecurityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      port: 6379,
    });
    const redisUrl = Fn.join('', ['rediss://', redis.attrPrimaryEndPointAddress, ':', redis.attrPrimaryEndPointPort]);

    // One API key shared by the services: clients use it, and so do the control center (SERVICES_API_KEY)
    // and deploy-mcp's alarm guard (OBSERVABILITY_MCP_API_KEY) when they call another service's /mcp.
    const apiKey = new secretsmanager.Secret(this, 'ApiKey', {
      secretName: `factory/${stage}/api-key`,
      description: 'API key (16+ characters) every Factory service accepts as a Bearer token',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const githubToken = new secretsmanager.Secret(this, 'GithubToken', {
      secretName: `factory/${stage}/github-token`,
      description: 'GitHub token for github-mcp: replace the generated placeholder with a real token',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    const llmApiKey = new secretsmanager.Secret(this, 'LlmApiKey', {
      secretName: `factory/${stage}/llm-api-key`,
      description: 'API key of the OpenAI-compatible LLM the memory worker summarises with (used once LLM_BASE_URL is set)',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    const shared: Record<SharedSecret, secretsmanager.ISecret> = {
      'api-key': apiKey,
      'database-url': databaseUrl,
      'github-token': githubToken,
      'llm-api-key': llmApiKey,
    };
    const fill = (value: string) =>
      value
        .replaceAll('{stage}', stage)
        .replaceAll('{region}', this.region)
        .replaceAll('{namespace}', SERVICE_NAMESPACE)
        .replaceAll('{metricsNamespace}', namespace);

    // ---- load balancer
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', { vpc, internetFacing: true, loadBalancerName: `factory-${stage}` });
    const allowedHosts = (spec: ServiceSpec) =>
      Fn.join(',', [alb.loadBalancerDnsName, `${spec.name}.${SERVICE_NAMESPACE}`, ...(props.domainNames ?? [])]);

    // ---- alarms go to one topic
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { topicName: `factory-${stage}-alarms` });
    if (props.alarmEmail) alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const alarmAction = new cwActions.SnsAction(alarmTopic);

    // ---- one Fargate service per app
    const targetGroups = new Map<string, elbv2.ApplicationTargetGroup>();
    for (const spec of SERVICES) {
      const id = pascal(spec.name);
      const logGroup = new logs.LogGroup(this, `${id}Logs`, {
        logGroupName: `/factory/${stage}/${spec.name}`,
        retention: production ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.TWO_WEEKS,
        removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      const taskRole = new iam.Role(this, `${id}TaskRole`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `Factory ${spec.name}: only the AWS calls its code makes`,
      });
      this.taskRoles.set(spec.name, taskRole);

      const taskDefinition = new ecs.FargateTaskDefinition(this, `${id}Task`, {
        family: `factory-${stage}-${spec.name}`,
        cpu: spec.cpu,
        memoryLimitMiB: spec.memoryMiB,
        taskRole,
        runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      });
      const secrets = Object.fromEntries(Object.entries(spec.secrets).map(([variable, name]) => [variable, ecs.Secret.fromSecretsManager(shared[name])]));
      const environment = Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, fill(v)]));
      const repository = ecr.Repository.fromRepositoryName(this, `${id}Repository`, repositoryName(spec.image));
      taskDefinition.addContainer('app', {
        containerName: spec.name,
        image: ecs.ContainerImage.fromEcrRepository(repository, imageTag),
        ...(spec.command ? { command: spec.command } : {}),
        portMappings: [{ containerPort: spec.port, name: spec.name }],
        environment: {
          NODE_ENV: 'production',
          HOST: '0.0.0.0',
          [spec.portVariable ?? 'PORT']: String(spec.port),
          LOG_LEVEL: 'info',
          ALLOWED_HOSTS: allowedHosts(spec),
          ...(spec.uses.redis ? { [spec.redisVariable ?? 'REDIS_URL']: redisUrl } : {}),
          ...environment,
        },
        secrets,
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: spec.name }),
        // Slim images have no curl: a tiny node script asks /health.
        healthCheck: {
          command: ['CMD', 'node', '/app/healthcheck.mjs', `http://127.0.0.1:${spec.port}${HEALTH_PATH}`],
          interval: Duration.seconds(30),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(60),
        },
        stopTimeout: Duration.seconds(30),
      });

      const service = new ecs.FargateService(this, `${id}Service`, {
        cluster,
        taskDefinition,
        serviceName: spec.name,
        desiredCount: props.desiredCount ?? DEFAULT_DESIRED_COUNT,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { rollback: true },
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        cloudMapOptions: { name: spec.name },
        ...(spec.public ? { healthCheckGracePeriod: Duration.seconds(60) } : {}),
      });
      this.services.set(spec.name, service);
      if (spec.uses.database) database.connections.allowDefaultPortFrom(service, `${spec.name} to Postgres`);
      if (spec.uses.redis) redisSecurityGroup.connections.allowFrom(service, ec2.Port.tcp(6379), `${spec.name} to Redis`);

      if (spec.public) {
        const listener = alb.addListener(`${id}Listener`, {
          port: spec.port,
          open: true,
          ...(props.certificateArn
            ? { protocol: elbv2.ApplicationProtocol.HTTPS, certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)] }
            : { protocol: elbv2.ApplicationProtocol.HTTP }),
        });
        const targetGroup = listener.addTargets(`${id}Targets`, {
          port: spec.port,
          protocol: elbv2.ApplicationProtocol.HTTP,
          targets: [service],
          deregistrationDelay: Duration.seconds(30),
          healthCheck: {
            path: HEALTH_PATH,
            healthyHttpCodes: '200',
            interval: Duration.seconds(15),
            timeout: Duration.seconds(5),
            healthyThresholdCount: 2,
            unhealthyThresholdCount: 3,
          },
        });
        targetGroups.set(spec.name, targetGroup);
      }

      new CfnOutput(this, `${id}ServiceName`, { value: service.serviceName });
      new CfnOutput(this, `${id}TaskFamily`, { value: taskDefinition.family });
      new CfnOutput(this, `${id}ContainerName`, { value: spec.name });
      if (spec.public) {
        new CfnOutput(this, `${id}Url`, {
          value: Fn.join('', [props.certificateArn ? 'https://' : 'http://', alb.loadBalancerDnsName, `:${spec.port}`]),
        });
      }
    }

    // ---- least-privilege task roles (github-mcp and memory get none)
    const role = (name: string) => {
      const r = this.taskRoles.get(name);
      if (!r) throw new Error(`no task role for ${name}`);
      return r;
    };
    // iam:PassRole (needed to register task definitions that name a task role) only ever with its condition.
    const deployActions = props.deployMcpActions.filter((a) => a !== 'iam:PassRole');
    role('deploy-mcp').addToPolicy(new iam.PolicyStatement({ sid: 'DeployMcpTools', actions: deployActions, resources: ['*'] }));
    role('deploy-mcp').addToPolicy(
      new iam.PolicyStatement({
        sid: 'PassTaskRoles',
        actions: ['iam:PassRole'],
        resources: [`arn:${this.partition}:iam::${this.account}:role/*`],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    role('observability-mcp').addToPolicy(new iam.PolicyStatement({ sid: 'ReadOnlyObservability', actions: [...OBSERVABILITY_ACTIONS], resources: ['*'] }));
    role('control-center').addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishFactoryMetrics',
        actions: [...CONTROL_CENTER_ACTIONS],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': namespace } },
      }),
    );

    // ---- service-to-service traffic: the control center watches everyone; deploy-mcp asks observability-mcp
    const svc = (name: string) => {
      const s = this.services.get(name);
      if (!s) throw new Error(`no service ${name}`);
      return s;
    };
    for (const spec of SERVICES) {
      if (spec.name !== 'control-center') svc(spec.name).connections.allowFrom(svc('control-center'), ec2.Port.tcp(spec.port), `control-center to ${spec.name}`);
    }
    svc('observability-mcp').connections.allowFrom(svc('deploy-mcp'), ec2.Port.tcp(3003), 'deploy-mcp alarm guard');

    // ---- alarms on the factory metrics the control center publishes
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, props);
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
      return a;
    };
    const availability = new cloudwatch.Metric({ namespace, metricName: 'Availability', statistic: 'Minimum', period: Duration.minutes(1) });
    const alarms: cloudwatch.IAlarm[] = [
      alarm('AvailabilityAlarm', {
        alarmName: `factory-${stage}-availability`,
        alarmDescription: 'Factory availability dropped: a required service or dependency is failing (see the control center).',
        metric: availability,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        // No data means the control center itself is not reporting.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    ];
    const healthMetrics: cloudwatch.IMetric[] = [];
    const latencyMetrics: cloudwatch.IMetric[] = [];
    for (const spec of SERVICES) {
      const id = pascal(spec.name);
      const targetGroup = targetGroups.get(spec.name);
      if (targetGroup) {
        alarms.push(
          alarm(`${id}UnhealthyTargetsAlarm`, {
            alarmName: `factory-${stage}-${spec.name}-unhealthy-targets`,
            alarmDescription: `${spec.name}: a task failed the ALB /health check for 3 minutes.`,
            metric: targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
      // The control center reports the services it watches, not itself: the Availability alarm
      // (missing data = breaching) covers it.
      if (spec.name === 'control-center') continue;
      const health = new cloudwatch.Metric({
        namespace,
        metricName: 'ServiceHealth',
        dimensionsMap: { ServiceName: spec.name },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      });
      healthMetrics.push(health.with({ label: spec.name }));
      alarms.push(
        alarm(`${id}HealthAlarm`, {
          alarmName: `factory-${stage}-${spec.name}-health`,
          alarmDescription: `${spec.name} is not ready for 3 minutes (control center ServiceHealth).`,
          metric: health,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
        }),
      );
      for (const dependency of spec.dependencies) {
        const latency = new cloudwatch.Metric({
          namespace,
          metricName: 'DependencyCheckLatency',
          dimensionsMap: { ServiceName: spec.name, DependencyName: dependency },
          statistic: 'p95',
          period: Duration.minutes(5),
        });
        latencyMetrics.push(latency.with({ label: `${spec.name} ${dependency}` }));
        alarms.push(
          alarm(`${id}${pascal(dependency.replace(/_/g, '-'))}LatencyAlarm`, {
            alarmName: `factory-${stage}-${spec.name}-${dependency}-latency`,
            alarmDescription: `${spec.name}: p95 of the ${dependency} check above ${latencyThreshold} ms for 15 minutes.`,
            metric: latency,
            threshold: latencyThreshold,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }

    // ---- dashboard
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `factory-${stage}` });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Factory availability', left: [availability], leftYAxis: { min: 0, max: 1 }, width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Service health (1 = ready)', left: healthMetrics, leftYAxis: { min: 0, max: 1 }, width: 8 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 8 }),
    );
    dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Dependency check latency p95 (ms)', left: latencyMetrics, width: 24 }));
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'CPU utilisation (%)',
        left: SERVICES.map((s) => svc(s.name).metricCpuUtilization({ label: s.name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Memory utilisation (%)',
        left: SERVICES.map((s) => svc(s.name).metricMemoryUtilization({ label: s.name })),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests',
        left: [...targetGroups].map(([name, tg]) => tg.metrics.requestCount({ label: name, period: Duration.minutes(1) })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target 5xx',
        left: [...targetGroups].map(([name, tg]) =>
          tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { label: name, period: Duration.minutes(1) }),
        ),
        width: 12,
      }),
    );

    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'LoadBalancerDns', { value: alb.loadBalancerDnsName });
    new CfnOutput(this, 'ApiKeySecretName', { value: apiKey.secretName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: `factory-${stage}` });
  }
}
