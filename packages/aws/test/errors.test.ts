import { describe, expect, it } from '@jest/globals';
import { AppError } from '@factory/base-server';
import { awsCall, mapAwsError, type MapAwsErrorOptions } from '../src/errors.js';

/** What the AWS SDK v3 throws for a service error. */
const awsError = (name: string, message: string, httpStatusCode = 400, fault: 'client' | 'server' = 'client') =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode } });

const OPTIONS: MapAwsErrorOptions = { app: 'test-mcp' };

describe('mapAwsError', () => {
  const cases: Array<[string, unknown, string, number]> = [
    ['access denied', awsError('AccessDeniedException', 'User x is not authorized to perform: ecs:ListClusters'), 'aws_access_denied', 403],
    ['a "not authorized to perform" message under another name', awsError('SomethingElse', 'not authorized to perform: logs:StartQuery'), 'aws_access_denied', 403],
    ['any other 403', awsError('Whatever', 'forbidden', 403), 'aws_access_denied', 403],
    ['expired credentials', awsError('ExpiredTokenException', 'The security token included in the request is expired'), 'aws_credentials_invalid', 503],
    ['an invalid token answered with 403', awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403), 'aws_credentials_invalid', 503],
    ['no credentials at all', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'aws_credentials_invalid', 503],
    ['throttling', awsError('ThrottlingException', 'Rate exceeded'), 'rate_limited', 429],
    ['any 429', awsError('SlowDown', 'slow down', 429), 'rate_limited', 429],
    ['missing resource', awsError('ResourceNotFoundException', 'log group does not exist'), 'aws_resource_not_found', 404],
    ['bad parameter', awsError('InvalidParameterException', 'maxResults is invalid'), 'aws_invalid_request', 400],
    ['validation', awsError('ValidationException', 'bad query'), 'aws_invalid_request', 400],
    ['an unknown client fault', awsError('SomethingNew', 'odd', 400), 'aws_invalid_request', 400],
    ['an SDK timeout', Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' }), 'aws_unreachable', 502],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }), 'aws_unreachable', 502],
    ['an AWS server failure', awsError('InternalFailure', 'boom', 500, 'server'), 'aws_server_error', 502],
    ['an unknown server fault', awsError('InternalServiceError', 'boom', 500, 'server'), 'aws_error', 502],
    ['a cancelled call', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'aws_call_aborted', 499],
    ['a non-Error value', 'something odd', 'aws_error', 502],
  ];

  it.each(cases)('maps %s to code %s with status %d, naming the action and keeping the cause', (_label, err, code, status) => {
    const mapped = mapAwsError(err, 'ecs:ListClusters', OPTIONS);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toContain('ecs:ListClusters');
    expect(mapped.cause).toBe(err);
  });

  it('says which IAM action to grant, to whose role, with the app hint', () => {
    const mapped = mapAwsError(awsError('AccessDeniedException', 'User x is not authorized to perform: ecs:UpdateService'), 'ecs:UpdateService', {
      app: 'deploy-mcp',
      permissionsHint: ' (see iam-actions.json)',
    });
    expect(mapped.message).toBe(
      'AWS denied ecs:UpdateService: User x is not authorized to perform: ecs:UpdateService. Grant ecs:UpdateService to the deploy-mcp task role (see iam-actions.json).',
    );
    expect(mapped.details).toEqual({ aws_error: 'AccessDeniedException', action: 'ecs:UpdateService' });
  });

  it('names the app whose credentials are missing', () => {
    const mapped = mapAwsError(awsError('ExpiredTokenException', 'token expired'), 'sts:GetCallerIdentity', { app: 'observability-mcp' });
    expect(mapped.message).toBe(
      'observability-mcp has no valid AWS credentials for sts:GetCallerIdentity (token expired). Configure the task role or AWS credentials of the server.',
    );
  });

  it('tells the caller to wait after throttling, with a Retry-After', () => {
    const mapped = mapAwsError(awsError('ThrottlingException', 'Rate exceeded'), 'cloudwatch:GetMetricData', OPTIONS);
    expect(mapped.message).toBe('AWS throttled cloudwatch:GetMetricData: Rate exceeded. Wait a few seconds and try again, with a narrower request if possible.');
    expect(mapped.headers).toEqual({ 'Retry-After': '5' });
  });

  it('quotes what AWS says is missing and points at the listing tools', () => {
    expect(mapAwsError(awsError('ResourceNotFoundException', 'The specified log group does not exist.'), 'logs:FilterLogEvents', OPTIONS).message).toBe(
      'logs:FilterLogEvents: The specified log group does not exist. Check the name (list it first with the matching describe/list tool).',
    );
  });

  it('keeps only the first line of a multi-line AWS message, cut to 300 characters', () => {
    expect(mapAwsError(awsError('ValidationException', 'bad query\n  at internal frame'), 'logs:StartQuery', OPTIONS).message).toBe(
      'AWS rejected logs:StartQuery as invalid: bad query. Check the arguments and try again.',
    );
    const long = mapAwsError(awsError('ValidationException', 'x'.repeat(400)), 'logs:StartQuery', OPTIONS).message;
    expect(long).toContain(`${'x'.repeat(297)}...`);
    expect(long).not.toContain('x'.repeat(298));
  });

  it('applies app rules first, by name and optional message pattern', () => {
    const options: MapAwsErrorOptions = {
      app: 'deploy-mcp',
      rules: [
        { names: ['ClusterNotFoundException'], kind: 'not_found', code: 'cluster_not_found', message: (a, m) => `${a}: no such cluster (${m}).` },
        {
          names: ['ClientException'],
          messagePattern: /unable to describe task definition/i,
          kind: 'not_found',
          code: 'task_definition_not_found',
          message: (a) => `${a}: no such task definition.`,
        },
        { names: ['LimitExceededException'], kind: 'bad_request', code: 'aws_limit_exceeded', message: (a, m) => `${a}: quota (${m}).` },
      ],
    };
    const cluster = mapAwsError(awsError('ClusterNotFoundException', 'Cluster not found.'), 'ecs:ListServices', options);
    expect([cluster.code, cluster.status, cluster.message]).toEqual(['cluster_not_found', 404, 'ecs:ListServices: no such cluster (Cluster not found.).']);
    const td = mapAwsError(awsError('ClientException', 'Unable to describe task definition.'), 'ecs:DescribeTaskDefinition', options);
    expect([td.code, td.status]).toEqual(['task_definition_not_found', 404]);
    // The same name with another message falls through to the generic mapping.
    expect(mapAwsError(awsError('ClientException', 'bad image'), 'ecs:RegisterTaskDefinition', options).code).toBe('aws_invalid_request');
    const quota = mapAwsError(awsError('LimitExceededException', 'too many services'), 'ecs:CreateService', options);
    expect([quota.code, quota.status]).toEqual(['aws_limit_exceeded', 400]);
    // Without the rule the same error is throttling.
    expect(mapAwsError(awsError('LimitExceededException', 'too many'), 'logs:StartQuery', OPTIONS).code).toBe('rate_limited');
  });

  it('passes an AppError through unchanged', () => {
    const original = new AppError('x', 'already mapped');
    expect(mapAwsError(original, 'op', OPTIONS)).toBe(original);
  });
});

describe('awsCall', () => {
  it('returns the result of a successful call', async () => {
    await expect(awsCall('sts:GetCallerIdentity', async () => 42, OPTIONS)).resolves.toBe(42);
  });

  it('throws the mapped AppError of a failed call', async () => {
    await expect(awsCall('ecs:ListClusters', () => Promise.reject(awsError('ThrottlingException', 'Rate exceeded')), OPTIONS)).rejects.toMatchObject({
      code: 'rate_limited',
      status: 429,
    });
  });
});

describe('an answer AWS should never give', () => {
  it('a 2xx answer the SDK cannot read is "AWS answered something unexpected for <action>", never parser text', async () => {
    const { createServer } = await import('node:http');
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/xml' }).end('{"this is": "not xml"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const sts = new STSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const err = await awsCall('sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})), OPTIONS).then(
        () => undefined,
        (e: unknown) => e as AppError,
      );
      expect(err).toBeInstanceOf(AppError);
      expect({ code: err?.code, status: err?.status, message: err?.message }).toEqual({
        code: 'aws_unexpected_answer',
        status: 502,
        message: 'AWS answered something unexpected for sts:GetCallerIdentity; try again shortly, and report it if it persists.',
      });
      // The detail stays in the cause, for the boundary's log line.
      expect(String((err?.cause as Error).message)).toMatch(/parse error/);
    } finally {
      server.close();
    }
  });

  it('code tripping over a wrongly shaped answer is named the same way', () => {
    const err = mapAwsError(new TypeError("Cannot read properties of undefined (reading 'map')"), 'ecs:DescribeServices', OPTIONS);
    expect(err).toMatchObject({ code: 'aws_unexpected_answer', message: expect.stringContaining('for ecs:DescribeServices') });
    expect(err.message).not.toMatch(/Cannot read/);
  });
});
