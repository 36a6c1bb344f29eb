// How observability-mcp maps AWS failures: the shared `mapAwsError` of @factory/aws, naming this app.
import { awsCall as mappedAwsCall, type MapAwsErrorOptions } from '@factory/aws';

export const AWS_ERRORS: MapAwsErrorOptions = { app: 'observability-mcp' };

/** Runs one AWS call and throws its failure as an AppError naming `operation` (an IAM action). */
export function awsCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  return mappedAwsCall(operation, fn, AWS_ERRORS);
}
