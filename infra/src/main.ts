// CDK entry: `cdk synth` / `cdk deploy` run this (see cdk.json). Settings come from CDK context
// (`-c stage=production -c imageTag=abc123`), never from AWS lookups, so synthesis works offline.
import { App } from 'aws-cdk-lib';
import { FactoryStack } from './factory-stack.js';
import { readDeployMcpActions } from './permissions.js';
import { FactoryRegistryStack } from './registry-stack.js';

const app = new App();
const context = (key: string): string | undefined => {
  const v: unknown = app.node.tryGetContext(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
};

const stage = context('stage') ?? 'staging';
new FactoryRegistryStack(app, 'FactoryRegistry');
new FactoryStack(app, `Factory-${stage}`, {
  stage,
  deployMcpActions: readDeployMcpActions(),
  ...(context('imageTag') ? { imageTag: context('imageTag') } : {}),
  ...(context('certificateArn') ? { certificateArn: context('certificateArn') } : {}),
  ...(context('alarmEmail') ? { alarmEmail: context('alarmEmail') } : {}),
  ...(context('metricsNamespace') ? { metricsNamespace: context('metricsNamespace') } : {}),
  ...(context('domainNames') ? { domainNames: context('domainNames')?.split(',') } : {}),
});
app.synth();
