// A stand-in for the ECS API at its HTTP boundary (JSON 1.1, `X-Amz-Target`), for deploy-mcp running
// as separate processes (`AWS_ENDPOINT_URL` points their SDK here), where aws-sdk-client-mock cannot
// reach. One service, prod/web; it answers DescribeServices and UpdateService and records every update.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEcs {
  url: string;
  service: { taskDefinition: string; desiredCount: number };
  updates: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startFakeEcs(initial: { taskDefinition: string; desiredCount: number }): Promise<FakeEcs> {
  const state: FakeEcs = { url: '', service: { ...initial }, updates: [], close: async () => {} };
  const body = () => ({
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web',
    clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
    status: 'ACTIVE',
    taskDefinition: state.service.taskDefinition,
    desiredCount: state.service.desiredCount,
    runningCount: state.service.desiredCount,
    pendingCount: 0,
    deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: state.service.taskDefinition, desiredCount: state.service.desiredCount, runningCount: state.service.desiredCount, rolloutState: 'COMPLETED' }],
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const answer = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      if (target.endsWith('.DescribeServices')) return answer(200, { services: [body()], failures: [] });
      if (target.endsWith('.UpdateService')) {
        state.updates.push(input);
        if (typeof input.desiredCount === 'number') state.service.desiredCount = input.desiredCount;
        if (typeof input.taskDefinition === 'string') state.service.taskDefinition = input.taskDefinition;
        return answer(200, { service: body() });
      }
      answer(400, { __type: 'InvalidAction', message: `fake ECS does not answer ${target || req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
