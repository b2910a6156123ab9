import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ClusterNotFoundException, DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/check-services/handler.ts';
import { lockHold } from '../shared/registry/tenants.fixture.ts';

// These tests follow the polling schedule (event-driven waits off, read on each call); the
// event-driven fallback intervals are tested with the pure functions.
beforeAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'false';
});
afterAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'true';
});

const ecs = mockClient(ECSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const now = '2026-11-20T10:00:00.000Z';

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'check-services',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:check-services',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/check-services',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

const request = {
  operation: 'onboarding',
  tenantId: 't1',
  registrationId: 'r1',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:r1',
} as const;

function stable(name: string): Service {
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:us-east-1:111122223333:service/tenant-t1/${name}`,
    status: 'ACTIVE',
    runningCount: 2,
    desiredCount: 2,
    deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
    events: [{ message: `(service ${name}) has reached a steady state.` }],
  };
}

function check(serviceNames: string, progress?: object, redriveCount?: number) {
  return handler(
    {
      request,
      clusterName: 'tenant-t1',
      serviceNames,
      ...(progress ? { progress } : {}),
      ...(redriveCount !== undefined ? { redriveCount } : {}),
    },
    context,
  );
}

beforeEach(() => {
  ecs.reset();
  ddb.reset();
  // Every look first proves the lock (holdLock); these tests are about the services.
  ddb.on(UpdateCommand).resolves({ Attributes: {} });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('check-services handler', () => {
  it('describes the listed services of the cluster and reports ready when they are stable', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [stable('api'), stable('worker')], failures: [] });

    const result = await check('api, worker');

    expect(result).toEqual({ ready: true, polls: 1, waitSeconds: 8, elapsedSeconds: 0, redriveCount: 0 });
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: 'tenant-t1',
      services: ['api', 'worker'],
    });
  });

  it('asks for at most ten services per call', async () => {
    const names = Array.from({ length: 12 }, (_, index) => `svc-${index}`);
    ecs
      .on(DescribeServicesCommand, { services: names.slice(0, 10) })
      .resolves({ services: names.slice(0, 10).map(stable) })
      .on(DescribeServicesCommand, { services: names.slice(10) })
      .resolves({ services: names.slice(10).map(stable) });

    const result = await check(names.join(','));

    expect(result.ready).toBe(true);
    const inputs = ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { cluster: 'tenant-t1', services: names.slice(0, 10) },
      { cluster: 'tenant-t1', services: names.slice(10) },
    ]);
  });

  it('keeps waiting while a service is missing, carrying the elapsed time forward', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [stable('api')],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:111122223333:service/tenant-t1/worker', reason: 'MISSING' }],
    });

    const result = await check('api,worker', { ready: false, polls: 2, waitSeconds: 11, elapsedSeconds: 8 });

    expect(result).toEqual({ ready: false, polls: 3, waitSeconds: 17, elapsedSeconds: 19, redriveCount: 0 });
  });

  it('gives a redriven attempt a fresh budget although the failed attempt used it up', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ ...stable('api'), runningCount: 0 }] });
    const failedAttempt = { ready: false, polls: 33, waitSeconds: 10, elapsedSeconds: 890, redriveCount: 0 };

    await expect(check('api', failedAttempt, 0)).rejects.toMatchObject({ name: 'ServicesNotStable' });
    await expect(check('api', failedAttempt, 1)).resolves.toEqual({
      ready: false,
      polls: 1,
      waitSeconds: 8,
      elapsedSeconds: 0,
      redriveCount: 1,
    });
  });

  it('accepts input without a redrive count (a definition from before it was passed) as attempt 0', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [stable('api')] });

    await expect(check('api', { ready: false, polls: 2, waitSeconds: 11, elapsedSeconds: 8 })).resolves.toEqual({
      ready: true,
      polls: 3,
      waitSeconds: 17,
      elapsedSeconds: 19,
      redriveCount: 0,
    });
  });

  it('matches services ECS answers by ARN, and treats a name ECS answers neither way as missing', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ ...stable('api'), serviceName: undefined }], failures: [] });

    await expect(
      check('api,ghost', { ready: false, polls: 30, waitSeconds: 30, elapsedSeconds: 900 }),
    ).rejects.toMatchObject({
      name: 'ServicesNotStable',
      message:
        'ECS services in cluster tenant-t1 not stable after 930 seconds: ghost not found in the cluster (MISSING)',
    });
  });

  it('fails with the deadline message naming the missing service', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [stable('api')],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:111122223333:service/tenant-t1/worker', reason: 'MISSING' }],
    });

    await expect(
      check('api,worker', { ready: false, polls: 30, waitSeconds: 30, elapsedSeconds: 870 }),
    ).rejects.toMatchObject({
      name: 'ServicesNotStable',
      message:
        'ECS services in cluster tenant-t1 not stable after 900 seconds: worker not found in the cluster (MISSING)',
    });
  });

  it('reports running/desired and the latest service event of a service short of tasks at the deadline', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          ...stable('api'),
          runningCount: 1,
          deployments: [
            { status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
            { status: 'ACTIVE', rolloutState: 'COMPLETED' },
          ],
          events: [
            { message: '(service api) is unable to consistently start tasks successfully.' },
            { message: 'older event' },
          ],
        },
      ],
    });

    await expect(check('api', { ready: false, polls: 30, waitSeconds: 30, elapsedSeconds: 900 })).rejects.toMatchObject(
      {
        name: 'ServicesNotStable',
        message:
          'ECS services in cluster tenant-t1 not stable after 930 seconds: api running 1/2, rollout IN_PROGRESS, ' +
          'latest event: (service api) is unable to consistently start tasks successfully.',
      },
    );
  });

  it('fails at once when the PRIMARY deployment was stopped by the circuit breaker', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          ...stable('api'),
          runningCount: 0,
          deployments: [
            {
              status: 'PRIMARY',
              rolloutState: 'FAILED',
              rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
            },
          ],
        },
      ],
    });

    await expect(check('api')).rejects.toMatchObject({
      name: 'ServicesNotStable',
      message:
        'ECS service api in cluster tenant-t1 failed to deploy (circuit breaker): ECS deployment circuit breaker: tasks failed to start.',
    });
  });

  it('ignores a FAILED rollout of an older, non-primary deployment', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          ...stable('api'),
          deployments: [
            { status: 'PRIMARY', rolloutState: 'COMPLETED' },
            { status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'old' },
          ],
        },
      ],
    });

    await expect(check('api')).resolves.toMatchObject({ ready: true });
  });

  it('turns a missing cluster into ServicesNotStable with a clear message', async () => {
    ecs
      .on(DescribeServicesCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));

    await expect(check('api')).rejects.toMatchObject({
      name: 'ServicesNotStable',
      message: "ECS cluster tenant-t1 does not exist, so the tenant's services cannot run: Cluster not found.",
    });
  });

  it('turns throttling into TransientAwsError', async () => {
    ecs.on(DescribeServicesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(check('api')).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('turns a 5xx into TransientAwsError', async () => {
    ecs.on(DescribeServicesCommand).rejects(
      Object.assign(new Error('Internal'), {
        name: 'ServerException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    await expect(check('api')).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('lets other errors propagate untouched', async () => {
    const denied = Object.assign(new Error('not allowed'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    ecs.on(DescribeServicesCommand).rejects(denied);

    await expect(check('api')).rejects.toBe(denied);
  });

  it('proves, in a fenced write at its redrive attempt, that it still holds the tenant before describing anything', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [stable('api')], failures: [] });

    await handler({ request, clusterName: 'tenant-t1', serviceNames: 'api', redriveCount: 2 }, context);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      lockHold(
        { tableName: 'tenant-registry', tenantId: 't1' },
        { executionArn: request.executionArn, attempt: 2 },
        now,
      ),
    ]);
  });

  it('stops with Superseded, describing nothing, when another execution or a later attempt holds the tenant', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(check('api')).rejects.toMatchObject({ name: 'Superseded' });
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 0);
  });

  it('rejects input the workflow should never send as InvalidStepInput', async () => {
    await expect(handler({ request, serviceNames: 'api' } as never, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 0);
  });
});
