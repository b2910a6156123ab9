import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  LimitExceededException,
} from '@aws-sdk/client-cloudformation';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../functions/converge-stacks/handler.ts';
import type { StackProgress } from '../../../../functions/shared/step/schemas.ts';
import { lockHold } from '../shared/registry/tenants.fixture.ts';
import {
  now,
  slotDelete,
  slotItem,
  slotPut,
  slotRenewal,
  slotsQuery,
  tableName,
  throttled,
} from '../shared/registry/stack-slots.fixture.ts';
import {
  context,
  createInput,
  documents,
  executionArn,
  freeSlots,
  notFound,
  offboardingInput,
  onboardingInput,
  request,
  stackIn,
} from './handler.fixture.ts';
import { rolledBackCreate, stackId, stackName } from './stack-events.fixture.ts';

// These tests follow the polling schedule (event-driven waits off, read on each call); the
// event-driven fallback intervals are tested with the pure functions.
beforeAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'false';
});
afterAll(() => {
  process.env.EVENT_DRIVEN_WAITS = 'true';
});

const cfn = mockClient(CloudFormationClient);
const { tenantId } = request;
/** MAX_STACK_OPERATIONS is 20 in test/setup-env.ts. */
const heldByOthers = (count: number) => Array.from({ length: count }, (_, slot) => slotItem(slot, `other-${slot}`));
/** holdLock's UpdateItem of the first attempt: every look at the stacks starts with it. */
const tenantHold = lockHold({ tableName, tenantId }, { executionArn, attempt: 0 }, now.toISOString());

function inputs(command: Parameters<typeof documents.commandCalls>[0]): unknown[] {
  return documents.commandCalls(command).map((call) => call.args[0].input);
}

function progress(overrides: Partial<StackProgress> = {}): StackProgress {
  return {
    ready: false,
    polls: 5,
    waitSeconds: 60,
    elapsedSeconds: 0,
    redriveCount: 0,
    issued: [],
    outputs: {},
    ...overrides,
  };
}

beforeEach(() => {
  cfn.reset();
  freeSlots();
  vi.useFakeTimers({ toFake: ['Date'], now });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('converge-stacks admission: waiting for a slot', () => {
  it('queues a tenant whose stack needs creating when every slot is held, issuing nothing', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    documents.on(QueryCommand).resolves({ Items: heldByOthers(20) });

    const result = await handler(onboardingInput(), context);

    expect(inputs(QueryCommand)).toEqual([slotsQuery()]);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
    expect(result).toStrictEqual({
      ready: false,
      polls: 1,
      waitSeconds: 30,
      elapsedSeconds: 0,
      redriveCount: 0,
      issued: [],
      outputs: {},
      queued: true,
    });
  });

  it('does not count the queued wait against the stack deadline', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    documents.on(QueryCommand).resolves({ Items: heldByOthers(20) });

    const result = await handler(onboardingInput(progress({ queued: true, elapsedSeconds: 40 })), context);

    expect(result).toStrictEqual(progress({ polls: 6, elapsedSeconds: 40, queued: true, queuedSeconds: 60 }));
  });

  it('queues a delete too', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_COMPLETE'));
    documents.on(QueryCommand).resolves({ Items: heldByOthers(20) });

    const result = await handler(offboardingInput(), context);

    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(result).toMatchObject({ ready: false, issued: [], queued: true });
  });

  it('fails the step with StackTimeout, freeing nothing it does not hold, once the tenant has queued STACK_QUEUE_TIMEOUT_SECONDS (600)', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    documents.on(QueryCommand).resolves({ Items: heldByOthers(20) });

    // 540 s queued before the previous call, which queued 60 s more: 600 in all.
    await expect(
      handler(onboardingInput(progress({ queued: true, queuedSeconds: 540 })), context),
    ).rejects.toMatchObject({
      name: 'StackTimeout',
      message: 'No stack operation slot came free within 600 seconds (20 tenants may create or delete stacks at once)',
    });
    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('keeps queueing just below the queue deadline', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound());
    documents.on(QueryCommand).resolves({ Items: heldByOthers(20) });

    const result = await handler(onboardingInput(progress({ queued: true, queuedSeconds: 539 })), context);

    expect(result).toMatchObject({ queued: true, queuedSeconds: 599 });
  });

  it('proceeds once a slot frees, taking it before creating the stack', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound()).on(CreateStackCommand).resolves({ StackId: stackId });
    documents.on(QueryCommand).resolves({ Items: heldByOthers(19) });

    const result = await handler(onboardingInput(progress({ queued: true, elapsedSeconds: 40 })), context);

    expect(inputs(PutCommand)).toEqual([slotPut(19, tenantId, executionArn)]);
    expect(cfn.commandCalls(CreateStackCommand).map((call) => call.args[0].input)).toEqual([createInput]);
    expect(result).toStrictEqual(progress({ polls: 6, elapsedSeconds: 40, issued: [stackName], queuedSeconds: 60 }));
  });

  it('keeps the slot it holds when it issues again, even with every other slot taken', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('ROLLBACK_COMPLETE')).on(DeleteStackCommand).resolves({});
    documents.on(QueryCommand).resolves({ Items: [...heldByOthers(19), slotItem(19, tenantId)] });

    const result = await handler(onboardingInput(), context);

    expect(inputs(UpdateCommand)).toEqual([tenantHold, slotRenewal(19, tenantId, executionArn)]);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
    expect(result).toMatchObject({ issued: [stackName] });
    expect(result).not.toHaveProperty('queued');
  });

  it('needs no slot to watch a stack already in progress', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_IN_PROGRESS'));

    const result = await handler(onboardingInput(progress({ issued: [stackName] })), context);

    expect(inputs(UpdateCommand)).toEqual([tenantHold]);
    expect(documents.calls()).toHaveLength(1);
    expect(result).toStrictEqual(progress({ polls: 6, elapsedSeconds: 60, issued: [stackName] }));
  });
});

describe('converge-stacks fencing', () => {
  it('proves, at its redrive attempt, that it still holds the tenant before looking at any stack', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_IN_PROGRESS'));

    await handler(onboardingInput(progress({ issued: [stackName], redriveCount: 1 }), 1), context);

    expect(inputs(UpdateCommand)).toEqual([
      lockHold({ tableName, tenantId }, { executionArn, attempt: 1 }, now.toISOString()),
    ]);
  });

  it('stops with Superseded, touching no stack and no slot, when another execution or a later attempt holds the tenant', async () => {
    documents
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(handler(offboardingInput(), context)).rejects.toMatchObject({ name: 'Superseded' });
    expect(cfn.calls()).toHaveLength(0);
    expect(inputs(UpdateCommand)).toEqual([tenantHold]);
    expect(documents.calls()).toHaveLength(1);
  });
});

describe('converge-stacks admission: freeing the slot', () => {
  beforeEach(() => {
    documents.on(QueryCommand).resolves({ Items: [slotItem(4, tenantId)] });
  });

  it('frees the slot when the stacks are ready', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_COMPLETE'));

    const result = await handler(onboardingInput(progress({ issued: [stackName] })), context);

    expect(result).toMatchObject({ ready: true });
    expect(inputs(QueryCommand)).toEqual([slotsQuery(tenantId)]);
    expect(inputs(DeleteCommand)).toEqual([slotDelete(4, tenantId)]);
  });

  const terminal: [string, () => void, StackProgress | undefined, string][] = [
    [
      'its create failed',
      () =>
        cfn
          .on(DescribeStacksCommand)
          .resolves(stackIn('ROLLBACK_COMPLETE'))
          .on(DescribeStackEventsCommand)
          .resolves({ StackEvents: rolledBackCreate() }),
      progress({ issued: [stackName] }),
      'StackCreationFailed',
    ],
    [
      'it needs attention',
      () => cfn.on(DescribeStacksCommand).resolves(stackIn('UPDATE_ROLLBACK_FAILED')),
      undefined,
      'StackCreationFailed',
    ],
    [
      'it timed out',
      () => cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_IN_PROGRESS')),
      progress({ elapsedSeconds: 3553, waitSeconds: 47 }),
      'StackTimeout',
    ],
    [
      'CloudFormation refused the create',
      () =>
        cfn
          .on(DescribeStacksCommand)
          .rejects(notFound())
          .on(CreateStackCommand)
          .rejects(
            new LimitExceededException({ message: 'Limit on the number of stacks has been exceeded', $metadata: {} }),
          ),
      undefined,
      'StackRequestRejected',
    ],
  ];

  it.each(terminal)('frees the slot before failing when %s', async (_, arrange, previous, errorName) => {
    arrange();

    await expect(handler(onboardingInput(previous), context)).rejects.toMatchObject({ name: errorName });
    expect(inputs(DeleteCommand)).toEqual([slotDelete(4, tenantId)]);
  });

  it('throws the real error, logging the release that failed', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('UPDATE_ROLLBACK_FAILED'));
    documents.on(QueryCommand).rejects(throttled());
    const warn = vi.spyOn(Logger.prototype, 'warn');

    await expect(handler(onboardingInput(), context)).rejects.toMatchObject({ name: 'StackCreationFailed' });
    expect(warn).toHaveBeenCalledWith('Could not release the stack operation slot', expect.anything());
  });

  it('keeps the slot through a transient failure the workflow retries', async () => {
    cfn.on(DescribeStacksCommand).rejects(notFound()).on(CreateStackCommand).rejects(throttled());

    await expect(handler(onboardingInput(), context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(documents.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('fails a ready call for a retry when the slot cannot be freed', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackIn('CREATE_COMPLETE'));
    documents.on(QueryCommand).rejects(throttled());

    await expect(handler(onboardingInput(progress({ issued: [stackName] })), context)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});
