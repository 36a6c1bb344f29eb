import { describe, expect, it } from '@jest/globals';
import { AppError } from '@factory/base-server';
import { mapAwsError } from '@factory/aws';
import { AWS_ERRORS } from '../src/aws/errors.js';
import { awsError } from './helpers.js';

describe('AWS error mapping', () => {
  const cases: Array<[string, unknown, string, number]> = [
    ['access denied', awsError('AccessDeniedException', 'not authorized', 400), 'aws_access_denied', 403],
    ['any 403', awsError('Whatever', 'forbidden', 403), 'aws_access_denied', 403],
    ['expired credentials', awsError('ExpiredTokenException', 'The security token included in the request is expired', 400), 'aws_credentials_invalid', 503],
    ['no credentials at all', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'aws_credentials_invalid', 503],
    ['missing resource', awsError('ResourceNotFoundException', 'log group does not exist'), 'aws_resource_not_found', 404],
    ['bad parameter', awsError('InvalidParameterCombinationException', 'bad combo'), 'aws_invalid_request', 400],
    ['other client fault', awsError('SomethingNew', 'odd', 400), 'aws_invalid_request', 400],
    ['throttling', awsError('ThrottlingException', 'Rate exceeded'), 'rate_limited', 429],
    ['timeout', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'aws_unreachable', 502],
    ['network', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'aws_unreachable', 502],
    ['server fault', awsError('InternalServiceError', 'boom', 500, 'server'), 'aws_error', 502],
  ];

  it.each(cases)('maps %s to a %s AppError with status %d', (_label, err, code, status) => {
    const mapped = mapAwsError(err, 'cloudwatch:DescribeAlarms', AWS_ERRORS);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toContain('cloudwatch:DescribeAlarms');
    expect(mapped.cause).toBe(err);
  });

  it('keeps only the first line of a multi-line AWS message', () => {
    const mapped = mapAwsError(awsError('ValidationException', 'bad query\n  at internal frame'), 'logs:StartQuery', AWS_ERRORS);
    expect(mapped.message).toBe('AWS rejected logs:StartQuery as invalid: bad query. Check the arguments and try again.');
  });

  it('passes an AppError through unchanged', () => {
    const original = new AppError('x', 'already mapped');
    expect(mapAwsError(original, 'op', AWS_ERRORS)).toBe(original);
  });
});
