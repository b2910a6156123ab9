import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { InvalidToken, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/resume-wait/handler.ts';
import { context, executionArn, now, tenantId, tenantItem } from '../register-route/route.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const cloudFormation = mockClient(CloudFormationClient);
const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);

const stackName = `tenant-${tenantId}`;
const stackId = `arn:aws:cloudformation:us-east-1:111122223333:stack/${stackName}/0d2e9a60-2b1c-11ef-9f1a-0a1b2c3d4e5f`;
const wait = {
  taskToken: 'AQtoken-1',
  executionArn,
  attempt: 0,
  watch: { kind: 'stacks', desired: 'present', stackNames: [stackName] },
  since: now,
};

function stackEvent(status: string) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account: '111122223333',
    time: now,
    region: 'us-east-1',
    resources: [stackId],
    detail: { 'stack-id': stackId, 'status-details': { status, 'status-reason': '' } },
  };
}

beforeEach(() => {
  ddb.reset();
  cloudFormation.reset();
  ecs.reset();
  sfn.reset();
  ddb.on(GetCommand, { Key: { pk: `WATCH#stack#${stackName}`, sk: 'WATCH' } }).resolves({ Item: { tenantId } });
  ddb.on(GetCommand, { Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' } }).resolves(tenantItem({ wait }));
  ddb.on(UpdateCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: stackName, StackId: stackId, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(now) }],
  });
});

describe('resume-wait', () => {
  it('answers the waiting token once it has looked at the stack itself, then clears the token', async () => {
    await expect(handler(stackEvent('CREATE_COMPLETE'), context)).resolves.toEqual({ outcome: 'resumed' });

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe('AQtoken-1');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE #wait',
      ConditionExpression: '#wait.#token = :token',
    });
  });

  it('an event older than the stack’s state (out of order) does not end the wait', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: stackName, StackId: stackId, StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date(now) },
      ],
    });

    await expect(handler(stackEvent('CREATE_COMPLETE'), context)).resolves.toEqual({ outcome: 'still-waiting' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('a duplicate after the task was answered finds a closed token: no error', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new InvalidToken({ message: 'Invalid Token', $metadata: {} }));

    await expect(handler(stackEvent('CREATE_COMPLETE'), context)).resolves.toEqual({ outcome: 'closed' });
  });

  it('a stack no wait watches, or a wait that watches another stack, is left alone', async () => {
    ddb.on(GetCommand, { Key: { pk: `WATCH#stack#${stackName}`, sk: 'WATCH' } }).resolves({});
    await expect(handler(stackEvent('DELETE_COMPLETE'), context)).resolves.toEqual({ outcome: 'no-wait' });

    ddb.on(GetCommand, { Key: { pk: `WATCH#stack#${stackName}`, sk: 'WATCH' } }).resolves({ Item: { tenantId } });
    ddb
      .on(GetCommand, { Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' } })
      .resolves(tenantItem({ wait: { ...wait, watch: { ...wait.watch, stackNames: [`${stackName}-b`] } } }));
    await expect(handler(stackEvent('CREATE_COMPLETE'), context)).resolves.toEqual({ outcome: 'no-wait' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('an ECS steady-state event resumes a services wait with the loop’s ready progress', async () => {
    const cluster = stackName;
    const service = `${stackName}-web`;
    ddb
      .on(GetCommand, { Key: { pk: `WATCH#service#${cluster}/${service}`, sk: 'WATCH' } })
      .resolves({ Item: { tenantId } });
    ddb.on(GetCommand, { Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' } }).resolves(
      tenantItem({
        wait: {
          ...wait,
          watch: { kind: 'services', clusterName: cluster, serviceNames: [service] },
          progress: { ready: false, polls: 1, waitSeconds: 300, elapsedSeconds: 0, redriveCount: 0 },
        },
      }),
    );
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: service,
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
          events: [],
        },
      ],
      failures: [],
    });

    const result = await handler(
      {
        source: 'aws.ecs',
        'detail-type': 'ECS Service Action',
        resources: [`arn:aws:ecs:us-east-1:111122223333:service/${cluster}/${service}`],
        detail: {
          eventType: 'INFO',
          eventName: 'SERVICE_STEADY_STATE',
          clusterArn: `arn:aws:ecs:us-east-1:111122223333:cluster/${cluster}`,
        },
      },
      context,
    );

    expect(result).toEqual({ outcome: 'resumed' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}')).toMatchObject({
      ready: true,
    });
  });

  it('ignores an event it does not read, without a call', async () => {
    await expect(handler({ source: 'aws.ec2', 'detail-type': 'x', detail: {} }, context)).resolves.toEqual({
      outcome: 'ignored',
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});
