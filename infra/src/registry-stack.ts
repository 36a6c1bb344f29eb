// ECR repositories, one per image, in their own stack: CI pushes an image before the services that run
// it exist, and destroying a stage never deletes the images.
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { IMAGES } from './services.js';

export const repositoryName = (image: string) => `factory/${image}`;

export class FactoryRegistryStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    for (const image of IMAGES) {
      const repository = new ecr.Repository(this, `${image}-repository`, {
        repositoryName: repositoryName(image),
        imageScanOnPush: true,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [{ description: 'keep the last 50 images', maxImageCount: 50 }],
      });
      new CfnOutput(this, `${image.replace(/-/g, '')}RepositoryUri`, { value: repository.repositoryUri });
    }
  }
}
