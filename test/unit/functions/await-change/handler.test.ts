import { CloudFormationClient, DescribeStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import { type DeploymentRolloutState, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/await-change/handler.ts';
import { context, executionArn, now, tenantId, tenantItem } from '../register-route/route.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const cloudFormation = mockClient(CloudFormationClient);
const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);

const request = {
  operation: 'onboarding',
  tenantId,
  registrationId: 'b8e0a1c2',
  tier: 'premium',
  executionArn,
} as const;
const stackName = `tenant-${tenantId}`;
const stackProgress = {
  ready: false,
  polls: 1,
  waitSeconds: 600,
  elapsedSeconds: 0,
  redriveCount: 0,
  issued: [stackName],
  outputs: {},
};
const stacksInput = {
  kind: 'stacks',
  request,
  taskToken: 'AQtoken-1',
  redriveCount: 0,
  desired: 'present',
  stacks: [{ stackName }],
  progress: stackProgress,
};

function stackIs(status: StackStatus): void {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: stackName,
        StackId: `arn:aws:cloudformation:us-east-1:111122223333:stack/${stackName}/1`,
        StackStatus: status,
        CreationTime: new Date(now),
      },
    ],
  });
}

/** The fenced write that stores the wait. */
const storeMatch = {
  UpdateExpression: 'SET #wait = :wait, #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt',
};

beforeEach(() => {
  ddb.reset();
  cloudFormation.reset();
  ecs.reset();
  sfn.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand, storeMatch).resolves({ Attributes: tenantItem({ lock: { executionArn, attempt: 0 } }).Item });
  ddb.on(UpdateCommand, { UpdateExpression: 'REMOVE #wait' }).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
});

describe('await-change', () => {
  it('writes the watch item, stores the token under the fence, looks once and leaves the task waiting', async () => {
    stackIs('CREATE_IN_PROGRESS');

    const result = await handler(stacksInput, context);

    expect(result).toEqual({ stored: true, answered: 'waiting' });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: `WATCH#stack#${stackName}`,
      sk: 'WATCH',
      tenantId,
    });
    const store = ddb.commandCalls(UpdateCommand, storeMatch)[0]?.args[0].input;
    expect(store?.ConditionExpression).toContain('#lock.#executionArn = :fenceArn');
    expect(store?.ExpressionAttributeValues?.[':wait']).toMatchObject({
      taskToken: 'AQtoken-1',
      executionArn,
      attempt: 0,
      watch: { kind: 'stacks', desired: 'present', stackNames: [stackName] },
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('answers the task itself when the stack settled before the token was stored, and clears the token', async () => {
    stackIs('CREATE_COMPLETE');

    const result = await handler(stacksInput, context);

    expect(result).toEqual({ stored: true, answered: 'resumed' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'AQtoken-1',
      output: JSON.stringify({ resumedBy: 'look' }),
    });
    expect(
      ddb.commandCalls(UpdateCommand, { UpdateExpression: 'REMOVE #wait' })[0]?.args[0].input.ExpressionAttributeValues,
    ).toEqual({
      ':token': 'AQtoken-1',
    });
  });

  it('a token already closed (a duplicate answer won) is no error', async () => {
    stackIs('CREATE_COMPLETE');
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    await expect(handler(stacksInput, context)).resolves.toEqual({ stored: true, answered: 'closed' });
  });

  it('a superseded execution stores nothing and stops with Superseded', async () => {
    stackIs('CREATE_COMPLETE');
    ddb
      .on(UpdateCommand, storeMatch)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    ddb
      .on(UpdateCommand, {
        UpdateExpression: 'SET #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt',
      })
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(handler(stacksInput, context)).rejects.toMatchObject({ name: 'Superseded' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('a loop queued for a stack-operation slot stores no token: the state timeout is its next look', async () => {
    const result = await handler(
      { ...stacksInput, progress: { ...stackProgress, queued: true, waitSeconds: 45 } },
      context,
    );

    expect(result).toEqual({ stored: false, answered: 'waiting' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('services: answers with the loop’s ready progress, or fails the task when a circuit breaker failed a deployment', async () => {
    const servicesInput = {
      kind: 'services',
      request,
      taskToken: 'AQtoken-2',
      redriveCount: 0,
      clusterName: stackName,
      serviceNames: `${stackName}-web`,
      progress: { ready: false, polls: 1, waitSeconds: 300, elapsedSeconds: 0, redriveCount: 0 },
    };
    const service = (rolloutState: DeploymentRolloutState, runningCount: number) => ({
      services: [
        {
          serviceName: `${stackName}-web`,
          status: 'ACTIVE',
          desiredCount: 2,
          runningCount,
          deployments: [{ status: 'PRIMARY', rolloutState, rolloutStateReason: 'tasks failed to start' }],
          events: [],
        },
      ],
      failures: [],
    });
    ecs.on(DescribeServicesCommand).resolves(service('COMPLETED', 2));

    await expect(handler(servicesInput, context)).resolves.toEqual({ stored: true, answered: 'resumed' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}')).toMatchObject({
      ready: true,
      polls: 2,
    });

    ecs.on(DescribeServicesCommand).resolves(service('FAILED', 0));
    await expect(handler({ ...servicesInput, taskToken: 'AQtoken-3' }, context)).resolves.toEqual({
      stored: true,
      answered: 'failed',
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: 'AQtoken-3',
      error: 'ServicesNotStable',
    });
  });

  it('refuses a payload without a token, fast, naming the step', async () => {
    await expect(handler({ ...stacksInput, taskToken: '' }, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
  });
});
