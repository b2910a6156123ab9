import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/converge-stacks/handler.ts';
import { clientRequestToken } from '../../../../functions/shared/aws/stacks.ts';
import type { StackProgress } from '../../../../functions/shared/step/schemas.ts';
import { context, executionArn, freeSlots, notFound, offboardingInput, roleArn, stackIn } from './handler.fixture.ts';
import { failedDeleteAfterRollback, stackId, stackName } from './stack-events.fixture.ts';

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

describe('converge-stacks toward "absent"', () => {
  it('deletes a live stack and reports it pending', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_COMPLETE')).on(DeleteStackCommand).resolves({});

    const result = await handler(offboardingInput(), context);

    expect(inputsOf(DeleteStackCommand)).toStrictEqual([
      {
        StackName: stackName,
        RoleARN: roleArn,
        ClientRequestToken: clientRequestToken('delete', executionArn, 0, stackName),
      },
    ]);
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

  it('waits while the delete runs', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('DELETE_IN_PROGRESS'));
    const previous: StackProgress = {
      ready: false,
      polls: 1,
      waitSeconds: 10,
      elapsedSeconds: 0,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(offboardingInput(previous), context);

    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(result).toMatchObject({ ready: false, polls: 2 });
  });

  it('is ready once the stack is gone, with no outputs', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    const previous: StackProgress = {
      ready: false,
      polls: 2,
      waitSeconds: 15,
      elapsedSeconds: 10,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(offboardingInput(previous), context);

    expect(result).toStrictEqual({
      ready: true,
      polls: 3,
      waitSeconds: 60,
      elapsedSeconds: 25,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    });
  });

  it('fails with the failing resource when its own delete failed', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(
        stackIn('DELETE_FAILED', {
          StackStatusReason: 'The following resource(s) failed to delete: [ServiceSecurityGroup].',
        }),
      )
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: failedDeleteAfterRollback() });
    const previous: StackProgress = {
      ready: false,
      polls: 3,
      waitSeconds: 23,
      elapsedSeconds: 25,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    await expect(handler(offboardingInput(previous), context)).rejects.toMatchObject({
      name: 'StackDeletionFailed',
      message: `Stack ${stackName} failed to delete: ServiceSecurityGroup (AWS::EC2::SecurityGroup): resource sg-0abc has a dependent object (Service: Ec2, Status Code: 400)`,
    });
  });

  it('deletes again a DELETE_FAILED stack whose delete an earlier attempt asked for', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(stackIn('DELETE_FAILED'))
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: failedDeleteAfterRollback(clientRequestToken('delete', executionArn, 0, stackName)) })
      .on(DeleteStackCommand)
      .resolves({});
    // The failed attempt had issued the delete; the redrive's progress is that attempt's.
    const failedAttempt: StackProgress = {
      ready: false,
      polls: 3,
      waitSeconds: 23,
      elapsedSeconds: 25,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    const result = await handler(offboardingInput(failedAttempt, 1), context);

    // toEqual: the SDK's paginator leaves NextToken undefined on the first page (not sent).
    expect(inputsOf(DescribeStackEventsCommand)).toEqual([{ StackName: stackId }]);
    expect(inputsOf(DeleteStackCommand)).toStrictEqual([
      {
        StackName: stackName,
        RoleARN: roleArn,
        ClientRequestToken: clientRequestToken('delete', executionArn, 1, stackName),
      },
    ]);
    expect(result).toMatchObject({ ready: false, redriveCount: 1, issued: [stackName] });
  });

  it('reports its own failed delete by the token on the delete events, though the progress lost it', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(stackIn('DELETE_FAILED'))
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: failedDeleteAfterRollback(clientRequestToken('delete', executionArn, 0, stackName)) });
    const retried: StackProgress = {
      ready: false,
      polls: 1,
      waitSeconds: 30,
      elapsedSeconds: 0,
      redriveCount: 0,
      issued: [],
      outputs: {},
    };

    await expect(handler(offboardingInput(retried), context)).rejects.toMatchObject({ name: 'StackDeletionFailed' });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('deletes again a DELETE_FAILED stack whose delete someone else asked for, although this attempt issued one', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(stackIn('DELETE_FAILED'))
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: failedDeleteAfterRollback('Console-DeleteStack-7f59c3cf-00d2-40c7-b2ff-e75db0987002') })
      .on(DeleteStackCommand)
      .resolves({});
    const previous: StackProgress = {
      ready: false,
      polls: 3,
      waitSeconds: 23,
      elapsedSeconds: 25,
      redriveCount: 0,
      issued: [stackName],
      outputs: {},
    };

    await handler(offboardingInput(previous), context);

    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('maps a rejected delete to StackRequestRejected', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(stackIn('CREATE_COMPLETE'))
      .on(DeleteStackCommand)
      .rejects(
        Object.assign(new Error('Role is invalid or cannot be assumed'), {
          name: 'ValidationError',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );

    await expect(handler(offboardingInput(), context)).rejects.toMatchObject({ name: 'StackRequestRejected' });
  });
});
