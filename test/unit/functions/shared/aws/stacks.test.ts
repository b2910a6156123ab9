import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  InsufficientCapabilitiesException,
  LimitExceededException,
  TokenAlreadyExistsException,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  attemptTagKey,
  attemptTagValue,
  clientRequestToken,
  createStack,
  deleteStack,
  describeStack,
  findFirstFailure,
  firstFailure,
  type StackRequestContext,
} from '../../../../../functions/shared/aws/stacks.ts';
import {
  failedDeleteAfterRollback,
  rolledBackCreate,
  serviceFailure,
  stackEvent,
  stackId,
  stackName,
} from '../../converge-stacks/stack-events.fixture.ts';
import { servePages } from './pages.fixture.ts';

const cfn = mockClient(CloudFormationClient);

const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb';
const context: StackRequestContext = {
  executionArn,
  redriveCount: 0,
  roleArn: 'arn:aws:iam::111122223333:role/tenant-stacks',
};

function sdkError(name: string, message: string, fault: 'client' | 'server' = 'client', status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

const throttled = () => sdkError('Throttling', 'Rate exceeded');
const serverFault = () => sdkError('InternalFailure', 'We encountered an internal error', 'server', 500);

beforeEach(() => {
  cfn.reset();
});

describe('clientRequestToken', () => {
  it('is deterministic, valid for CloudFormation and distinct per operation, stack and redrive', () => {
    const token = clientRequestToken('create', executionArn, 0, stackName);

    expect(token).toMatch(/^create-[0-9a-f]{40}$/);
    expect(token).toMatch(/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/);
    expect(clientRequestToken('create', executionArn, 0, stackName)).toBe(token);
    expect(clientRequestToken('delete', executionArn, 0, stackName)).toMatch(/^delete-[0-9a-f]{40}$/);
    expect(
      new Set([
        token,
        clientRequestToken('create', executionArn, 1, stackName),
        clientRequestToken('create', executionArn, 0, 'tenant-other'),
        clientRequestToken('create', `${executionArn}x`, 0, stackName),
        clientRequestToken('delete', executionArn, 0, stackName).replace('delete', 'create'),
      ]).size,
    ).toBe(5);
  });
});

describe('describeStack', () => {
  it('returns status, reason and outputs by key', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: stackName,
          StackId: stackId,
          CreationTime: new Date(),
          StackStatus: 'UPDATE_ROLLBACK_COMPLETE',
          StackStatusReason: 'Update cancelled',
          Outputs: [
            { OutputKey: 'ClusterName', OutputValue: 'tenant-2f1c9d3e' },
            { OutputKey: 'TargetGroupArn', OutputValue: 'arn:tg' },
            { OutputKey: 'Dangling' },
          ],
        },
      ],
    });

    const result = await describeStack(stackName);

    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toStrictEqual([
      { StackName: stackName },
    ]);
    expect(result).toStrictEqual({
      stackName,
      stackId,
      status: 'UPDATE_ROLLBACK_COMPLETE',
      statusReason: 'Update cancelled',
      outputs: { ClusterName: 'tenant-2f1c9d3e', TargetGroupArn: 'arn:tg' },
      tags: {},
      parameters: {},
    });
    expect(cfn.commandCalls(DescribeStackEventsCommand)).toHaveLength(0);
  });

  it('returns the tags by key, the attempt tag among them', async () => {
    const attempt = attemptTagValue(executionArn, 2);
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: stackName,
          StackId: stackId,
          CreationTime: new Date(),
          StackStatus: 'ROLLBACK_COMPLETE',
          Tags: [
            { Key: 'tenant-id', Value: '2f1c9d3e' },
            { Key: attemptTagKey, Value: attempt },
          ],
        },
      ],
    });

    await expect(describeStack(stackName)).resolves.toMatchObject({
      tags: { 'tenant-id': '2f1c9d3e', [attemptTagKey]: attempt },
    });
  });

  it('reads the token of the failed delete from the events of a DELETE_FAILED stack', async () => {
    const token = clientRequestToken('delete', executionArn, 0, stackName);
    // One page each: the first describe reads the events with the token, the second those without.
    const eventPages = servePages([
      { StackEvents: failedDeleteAfterRollback(token) },
      { StackEvents: failedDeleteAfterRollback() },
    ]);
    cfn
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [{ StackName: stackName, StackId: stackId, CreationTime: new Date(), StackStatus: 'DELETE_FAILED' }],
      })
      .on(DescribeStackEventsCommand)
      .callsFake(eventPages.answer);

    const withToken = await describeStack(stackName);
    const withoutToken = await describeStack(stackName);

    expect(withToken).toMatchObject({ status: 'DELETE_FAILED', deleteRequestToken: token });
    expect(withoutToken).not.toHaveProperty('deleteRequestToken');
    expect(eventPages.sent).toStrictEqual([{ StackName: stackId }, { StackName: stackId }]);
  });

  it('turns throttled stack events of a DELETE_FAILED stack into TransientAwsError', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [{ StackName: stackName, StackId: stackId, CreationTime: new Date(), StackStatus: 'DELETE_FAILED' }],
      })
      .on(DescribeStackEventsCommand)
      .rejects(throttled());

    await expect(describeStack(stackName)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('DescribeStackEvents'),
    });
  });

  it('returns undefined for a stack that does not exist', async () => {
    cfn.on(DescribeStacksCommand).rejects(sdkError('ValidationError', `Stack with id ${stackName} does not exist`));

    await expect(describeStack(stackName)).resolves.toBeUndefined();
  });

  it('lets any other validation error through untouched', async () => {
    const error = sdkError(
      'ValidationError',
      '1 validation error detected: Value at stackName failed to satisfy constraint',
    );
    cfn.on(DescribeStacksCommand).rejects(error);

    await expect(describeStack(stackName)).rejects.toBe(error);
  });

  it.each([
    ['throttling', throttled],
    ['a server fault', serverFault],
  ])('turns %s into TransientAwsError', async (_label, make) => {
    cfn.on(DescribeStacksCommand).rejects(make());

    await expect(describeStack(stackName)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('createStack', () => {
  const creation = {
    stackName,
    templateUrl: 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates/silo-services/1.0.0/template.json',
    parameters: { TenantId: '2f1c9d3e', Tier: 'advanced' },
    tags: { 'tenant-id': '2f1c9d3e', tier: 'advanced' },
  };

  it('sends exactly the request CloudFormation needs', async () => {
    cfn.on(CreateStackCommand).resolves({ StackId: stackId });

    await expect(createStack(creation, context)).resolves.toBe('accepted');

    expect(cfn.commandCalls(CreateStackCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        StackName: stackName,
        TemplateURL: creation.templateUrl,
        Parameters: [
          { ParameterKey: 'TenantId', ParameterValue: '2f1c9d3e' },
          { ParameterKey: 'Tier', ParameterValue: 'advanced' },
        ],
        Tags: [
          { Key: 'tenant-id', Value: '2f1c9d3e' },
          { Key: 'tier', Value: 'advanced' },
          { Key: 'tenant-orchestrator:attempt', Value: attemptTagValue(executionArn, 0) },
        ],
        Capabilities: ['CAPABILITY_IAM'],
        OnFailure: 'ROLLBACK',
        RoleARN: context.roleArn,
        ClientRequestToken: clientRequestToken('create', executionArn, 0, stackName),
      },
    ]);
  });

  it('leaves out an empty parameter list, and always tags the attempt (a redrive is another attempt)', async () => {
    cfn.on(CreateStackCommand).resolves({ StackId: stackId });

    await createStack({ ...creation, parameters: {}, tags: {} }, { ...context, redriveCount: 1 });

    const input = cfn.commandCalls(CreateStackCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('Parameters');
    expect(input?.Tags).toStrictEqual([{ Key: attemptTagKey, Value: attemptTagValue(executionArn, 1) }]);
    expect(attemptTagValue(executionArn, 1)).not.toBe(attemptTagValue(executionArn, 0));
    expect(attemptTagValue(executionArn, 1).length).toBeLessThanOrEqual(256);
  });

  it('reports a stack created concurrently as already existing', async () => {
    cfn
      .on(CreateStackCommand)
      .rejects(new AlreadyExistsException({ message: `Stack [${stackName}] already exists`, $metadata: {} }));

    await expect(createStack(creation, context)).resolves.toBe('already-exists');
  });

  it('reports a reused token as ours', async () => {
    cfn
      .on(CreateStackCommand)
      .rejects(new TokenAlreadyExistsException({ message: 'Token already exists', $metadata: {} }));

    await expect(createStack(creation, context)).resolves.toBe('token-reused');
  });

  it.each([
    [
      'ValidationError',
      () => sdkError('ValidationError', 'Template format error: Unresolved resource dependencies [Vpc]'),
    ],
    [
      'InsufficientCapabilitiesException',
      () =>
        new InsufficientCapabilitiesException({
          message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]',
          $metadata: {},
        }),
    ],
    [
      'LimitExceededException (the stack-count quota, not throttling)',
      () => new LimitExceededException({ message: 'Limit on the number of stacks has been exceeded', $metadata: {} }),
    ],
  ])('maps %s to StackRequestRejected with the message', async (_label, make) => {
    const error = make();
    cfn.on(CreateStackCommand).rejects(error);

    const thrown = await createStack(creation, context).catch((e: unknown) => e);

    expect(thrown).toMatchObject({ name: 'StackRequestRejected', cause: error });
    expect((thrown as Error).message).toContain(stackName);
    expect((thrown as Error).message).toContain(error.message);
  });

  it.each([
    ['throttling', throttled],
    ['a server fault', serverFault],
  ])('turns %s into TransientAwsError', async (_label, make) => {
    cfn.on(CreateStackCommand).rejects(make());

    await expect(createStack(creation, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('lets unknown errors through untouched', async () => {
    const error = sdkError('AccessDenied', 'not authorized to perform cloudformation:CreateStack', 'client', 403);
    cfn.on(CreateStackCommand).rejects(error);

    await expect(createStack(creation, context)).rejects.toBe(error);
  });
});

describe('deleteStack', () => {
  it('sends exactly the stack, the role and the delete token', async () => {
    cfn.on(DeleteStackCommand).resolves({});

    await expect(deleteStack(stackName, { ...context, redriveCount: 2 })).resolves.toBe('accepted');

    expect(cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        StackName: stackName,
        RoleARN: context.roleArn,
        ClientRequestToken: clientRequestToken('delete', executionArn, 2, stackName),
      },
    ]);
  });

  it('reports a reused token as ours', async () => {
    cfn
      .on(DeleteStackCommand)
      .rejects(new TokenAlreadyExistsException({ message: 'Token already exists', $metadata: {} }));

    await expect(deleteStack(stackName, context)).resolves.toBe('token-reused');
  });

  it('maps a validation error to StackRequestRejected', async () => {
    cfn
      .on(DeleteStackCommand)
      .rejects(
        sdkError(
          'ValidationError',
          'Role arn:aws:iam::111122223333:role/tenant-stacks is invalid or cannot be assumed',
        ),
      );

    await expect(deleteStack(stackName, context)).rejects.toMatchObject({
      name: 'StackRequestRejected',
      message: expect.stringContaining('cannot be assumed'),
    });
  });

  it('turns throttling into TransientAwsError', async () => {
    cfn.on(DeleteStackCommand).rejects(throttled());

    await expect(deleteStack(stackName, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('firstFailure', () => {
  it('picks the oldest real resource failure of a rolled-back create, skipping cancellations', () => {
    expect(firstFailure(rolledBackCreate())).toBe(`WebService (AWS::ECS::Service): ${serviceFailure}`);
  });

  it('looks only at the latest operation: a failed delete after an earlier rollback', () => {
    expect(firstFailure(failedDeleteAfterRollback())).toBe(
      'ServiceSecurityGroup (AWS::EC2::SecurityGroup): resource sg-0abc has a dependent object (Service: Ec2, Status Code: 400)',
    );
  });

  it('prefers the older of two genuine failures', () => {
    const events = [
      stackEvent('Bucket', 'AWS::S3::Bucket', 'CREATE_FAILED', 'Bucket name taken', 5),
      stackEvent('Queue', 'AWS::SQS::Queue', 'CREATE_FAILED', 'Queue quota reached', 4),
      stackEvent(stackName, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated', 0),
    ];

    expect(firstFailure(events)).toBe('Queue (AWS::SQS::Queue): Queue quota reached');
  });

  it('skips a cancellation listed before the real failure in the same second', () => {
    const events = [
      stackEvent('WebService', 'AWS::ECS::Service', 'CREATE_FAILED', serviceFailure, 15),
      stackEvent(
        'ListenerRule',
        'AWS::ElasticLoadBalancingV2::ListenerRule',
        'CREATE_FAILED',
        'Resource creation cancelled',
        15,
      ),
      stackEvent(stackName, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated', 0),
    ];

    expect(firstFailure(events)).toBe(`WebService (AWS::ECS::Service): ${serviceFailure}`);
  });

  it('finds nothing when only the stack itself and cancelled resources failed', () => {
    const events = [
      stackEvent(stackName, 'AWS::CloudFormation::Stack', 'ROLLBACK_FAILED', 'Rollback failed'),
      stackEvent('Queue', 'AWS::SQS::Queue', 'CREATE_FAILED', 'Resource creation cancelled'),
      stackEvent(stackName, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated'),
    ];

    expect(firstFailure(events)).toBeUndefined();
  });
});

describe('findFirstFailure', () => {
  it('reads pages by stack id until it reaches the start of the latest operation', async () => {
    const events = failedDeleteAfterRollback();
    const eventPages = servePages([
      { StackEvents: events.slice(0, 2), NextToken: 'page-2' },
      { StackEvents: events.slice(2, 6), NextToken: 'page-3' },
      { StackEvents: events.slice(6), NextToken: undefined },
    ]);
    cfn.on(DescribeStackEventsCommand).callsFake(eventPages.answer);

    const result = await findFirstFailure(stackId);

    expect(result).toBe(
      'ServiceSecurityGroup (AWS::EC2::SecurityGroup): resource sg-0abc has a dependent object (Service: Ec2, Status Code: 400)',
    );
    expect(eventPages.sent).toStrictEqual([{ StackName: stackId }, { StackName: stackId, NextToken: 'page-2' }]);
  });

  it('reads at most five pages', async () => {
    const page = [stackEvent('Queue', 'AWS::SQS::Queue', 'UPDATE_COMPLETE')];
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: page, NextToken: 'more' });

    await expect(findFirstFailure(stackId)).resolves.toBeUndefined();

    expect(cfn.commandCalls(DescribeStackEventsCommand)).toHaveLength(5);
  });

  it('turns throttling into TransientAwsError', async () => {
    cfn.on(DescribeStackEventsCommand).rejects(throttled());

    await expect(findFirstFailure(stackId)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
