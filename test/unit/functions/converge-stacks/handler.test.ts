import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  LimitExceededException,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/converge-stacks/handler.ts';
import { clientRequestToken } from '../../../../functions/shared/aws/stacks.ts';
import type { StackProgress } from '../../../../functions/shared/step/schemas.ts';
import {
  context,
  createInput,
  createInputFor,
  executionArn,
  freeSlots,
  notFound,
  onboardingInput,
  roleArn,
  stackIn,
} from './handler.fixture.ts';
import { rolledBackCreate, serviceFailure, stackId, stackName } from './stack-events.fixture.ts';

// These tests follow the polling schedule (event-driven waits off, read on each call); the
// event-driven fallback intervals are tested with the pure functions.
beforeAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'false';
});
afterAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'true';
});

const cfn = mockClient(CloudFormationClient);

const inputsOf = <T>(command: T) =>
  cfn.commandCalls(command as Parameters<typeof cfn.commandCalls>[0]).map((call) => call.args[0].input);

beforeEach(() => {
  cfn.reset();
  freeSlots();
});

describe('converge-stacks toward "present"', () => {
  it('creates a missing stack on the first call and reports it pending', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound()).on(CreateStackCommand).resolves({ StackId: stackId });

    const result = await handler(onboardingInput(), context);

    expect(inputsOf(DescribeStacksCommand)).toStrictEqual([{ StackName: stackName }]);
    expect(inputsOf(CreateStackCommand)).toStrictEqual([createInput]);
    expect(result).toStrictEqual({
      ready: false,
      polls: 1,
      waitSeconds: 30,
      elapsedSeconds: 0,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    });
  });

  it('waits while the stack is being created, counting time and backing off', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_IN_PROGRESS'));
    const previous: StackProgress = {
      ready: false,
      polls: 1,
      waitSeconds: 10,
      elapsedSeconds: 0,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(onboardingInput(previous), context);

    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
    expect(result).toStrictEqual({ ...previous, polls: 2, waitSeconds: 45, elapsedSeconds: 10 });
  });

  it('is ready with the merged outputs once the stack is complete', async () => {
    cfn.on(DescribeStacksCommand).resolves(
      stackIn('CREATE_COMPLETE', {
        Outputs: [
          {
            OutputKey: 'TargetGroupArn',
            OutputValue: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t/1',
          },
          { OutputKey: 'ClusterName', OutputValue: 'shared-tenants' },
          { OutputKey: 'ServiceNames', OutputValue: 'tenant-2f1c9d3e-web' },
        ],
      }),
    );
    const previous: StackProgress = {
      ready: false,
      polls: 4,
      waitSeconds: 51,
      elapsedSeconds: 82,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(onboardingInput(previous), context);

    expect(result).toMatchObject({
      ready: true,
      polls: 5,
      elapsedSeconds: 133,
      outputs: {
        TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t/1',
        ClusterName: 'shared-tenants',
        ServiceNames: 'tenant-2f1c9d3e-web',
      },
    });
  });

  it('fails with the first failing resource when its own create rolled back', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(
        stackIn('ROLLBACK_COMPLETE', {
          StackStatusReason: 'The following resource(s) failed to create: [WebService].',
        }),
      )
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: rolledBackCreate() });
    const previous: StackProgress = {
      ready: false,
      polls: 6,
      waitSeconds: 60,
      elapsedSeconds: 193,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const error = await handler(onboardingInput(previous), context).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'StackCreationFailed',
      message: `Stack ${stackName} failed to create: WebService (AWS::ECS::Service): ${serviceFailure}`,
    });
    // toEqual: the SDK's paginator leaves NextToken undefined on the first page (not sent).
    expect(inputsOf(DescribeStackEventsCommand)).toEqual([{ StackName: stackId }]);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('deletes a stale rolled-back stack, then creates it again on a later call', async () => {
    // First call: a ROLLBACK_COMPLETE this attempt did not create (an earlier, failed attempt did).
    cfn.on(DescribeStacksCommand).resolves(stackIn('ROLLBACK_COMPLETE')).on(DeleteStackCommand).resolves({});
    const first = await handler(onboardingInput(), context);

    expect(inputsOf(DeleteStackCommand)).toStrictEqual([
      {
        StackName: stackName,
        RoleARN: roleArn,
        ClientRequestToken: clientRequestToken('delete', executionArn, 0, stackName),
      },
    ]);
    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
    expect(first).toMatchObject({ ready: false, issued: [stackName] });

    // Later call: the stack is gone, so it is created again.
    cfn.reset();
    cfn.on(DescribeStacksCommand).rejects(notFound()).on(CreateStackCommand).resolves({ StackId: stackId });
    const second = await handler(onboardingInput(first), context);

    expect(inputsOf(CreateStackCommand)).toStrictEqual([createInput]);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(second).toMatchObject({ ready: false, polls: 2, elapsedSeconds: 30, issued: [stackName] });
  });

  it('after a redrive, treats the rollback that failed the previous attempt as stale', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('ROLLBACK_COMPLETE')).on(DeleteStackCommand).resolves({});
    const failedAttempt: StackProgress = {
      ready: false,
      polls: 9,
      waitSeconds: 60,
      elapsedSeconds: 400,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(onboardingInput(failedAttempt, 1), context);

    expect(cfn.commandCalls(DescribeStackEventsCommand)).toHaveLength(0);
    expect(inputsOf(DeleteStackCommand)).toStrictEqual([
      {
        StackName: stackName,
        RoleARN: roleArn,
        ClientRequestToken: clientRequestToken('delete', executionArn, 1, stackName),
      },
    ]);
    expect(result).toStrictEqual({
      ready: false,
      polls: 1,
      waitSeconds: 30,
      elapsedSeconds: 0,
      redriveCount: 1,
      issued: [stackName],
      outputs: {},
    });
  });

  it('uses a new create token and attempt tag after a redrive', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound()).on(CreateStackCommand).resolves({ StackId: stackId });

    await handler(onboardingInput(undefined, 3), context);

    expect(inputsOf(CreateStackCommand)).toStrictEqual([createInputFor(3)]);
  });

  it('does not claim a stack someone else created concurrently', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(notFound())
      .on(CreateStackCommand)
      .rejects(new AlreadyExistsException({ message: `Stack [${stackName}] already exists`, $metadata: {} }));

    const result = await handler(onboardingInput(), context);

    expect(result).toMatchObject({ ready: false, issued: [] });
  });

  it('fails with StackRequestRejected when CloudFormation refuses the create', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(notFound())
      .on(CreateStackCommand)
      .rejects(
        new LimitExceededException({ message: 'Limit on the number of stacks has been exceeded', $metadata: {} }),
      );

    await expect(handler(onboardingInput(), context)).rejects.toMatchObject({ name: 'StackRequestRejected' });
  });

  it('asks for manual attention for a stack stuck in UPDATE_ROLLBACK_FAILED', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('UPDATE_ROLLBACK_FAILED'));

    await expect(handler(onboardingInput(), context)).rejects.toMatchObject({
      name: 'StackCreationFailed',
      message: `Stack ${stackName} is in UPDATE_ROLLBACK_FAILED and needs manual attention`,
    });
  });

  it('times out at the deadline naming the stack and its status, starting no new work', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    // STACK_TIMEOUT_SECONDS is 3600 in test/setup-env.ts.
    const previous: StackProgress = {
      ready: false,
      polls: 62,
      waitSeconds: 47,
      elapsedSeconds: 3553,
      redriveCount: 0,
      issued: [],
      outputs: {},
    };

    await expect(handler(onboardingInput(previous), context)).rejects.toMatchObject({
      name: 'StackTimeout',
      message: `Stacks did not settle within 3600 seconds: ${stackName} (not found)`,
    });
    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('schedules the last look right at the deadline', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_IN_PROGRESS'));
    const previous: StackProgress = {
      ready: false,
      polls: 61,
      waitSeconds: 60,
      elapsedSeconds: 3493,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(onboardingInput(previous), context);

    expect(result).toMatchObject({ elapsedSeconds: 3553, waitSeconds: 47 });
  });

  it('rejects input the workflow should never send', async () => {
    await expect(handler({ ...onboardingInput(), desired: 'gone' }, context)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
    expect(cfn.calls()).toHaveLength(0);
  });

  it('retries throttling through the workflow', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    await expect(handler(onboardingInput(), context)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
