/**
 * The registry's fenced writes: every change made under a tenant's lock proves, in the same
 * conditional UpdateItem, that this execution holds the lock at this redrive attempt or a later one.
 */
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SupersededError, TransientAwsError } from '../../../../../functions/shared/step/errors.ts';
import { holdsLock } from '../../../../../functions/shared/registry/fence.ts';
import { createRegistry, fenceOf } from '../../../../../functions/shared/registry/tenants.ts';
import { fenceConditionExpression, fencedUpdate, lockHold } from './tenants.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const tableName = 'registry-table';
const registry = createRegistry(tableName);
const tenantId = 't-1';
const target = { tableName, tenantId };
const key = { pk: 'TENANT#t-1', sk: 'TENANT' };
const now = '2026-11-20T10:00:00.000Z';
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e1';
const otherExecutionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:e2';
const fence = { executionArn, attempt: 0 };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });

/** A tenant record as DynamoDB returns it (GetItem Item, UpdateItem ALL_NEW Attributes). */
function stored(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...key,
    tenantId,
    status: 'ONBOARDING',
    completed: {},
    version: 4,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

beforeEach(() => {
  ddb.reset();
});

describe('fenceOf', () => {
  it("is the request's execution at the redrive count the workflow passed, 0 when it passed none (previous release)", () => {
    expect(fenceOf({ executionArn }, 2)).toEqual({ executionArn, attempt: 2 });
    expect(fenceOf({ executionArn }, undefined)).toEqual({ executionArn, attempt: 0 });
  });
});

describe('holdsLock', () => {
  it('reads the fence condition from a record: this execution, at this attempt or an earlier one written', () => {
    const lock = (attempt?: number, arn = executionArn) => ({ lock: { executionArn: arn, attempt } });

    expect(holdsLock(lock(2), { executionArn, attempt: 2 })).toBe(true);
    expect(holdsLock(lock(1), { executionArn, attempt: 2 })).toBe(true);
    expect(holdsLock(lock(undefined), { executionArn, attempt: 0 })).toBe(true);
    expect(holdsLock(lock(3), { executionArn, attempt: 2 })).toBe(false);
    expect(holdsLock(lock(0, otherExecutionArn), fence)).toBe(false);
    expect(holdsLock({}, fence)).toBe(false);
    expect(holdsLock(undefined, fence)).toBe(false);
  });
});

describe('holdLock', () => {
  it("proves the lock in a conditional write that raises the version and the lock's attempt, returning the record written", async () => {
    const written = stored({
      version: 5,
      lock: { operation: 'onboarding', registrationId: 'r-1', executionArn, acquiredAt: now, attempt: 0 },
    });
    ddb.on(UpdateCommand).resolves({ Attributes: written });

    const record = await registry.holdLock(tenantId, fence, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([lockHold(target, fence, now)]);
    const { pk: _pk, sk: _sk, ...withoutKeys } = written;
    expect(record).toEqual(withoutKeys);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it("refuses a lower redrive attempt: the condition compares the lock's attempt with the fence's, and its failure is Superseded", async () => {
    // The lock was last written by attempt 1 of this execution; attempt 0 is a Lambda invocation
    // still running after its execution failed and was redriven.
    ddb.on(UpdateCommand).rejects(conditionFailed());

    const refusal = registry.holdLock(tenantId, { executionArn, attempt: 0 }, now);

    await expect(refusal).rejects.toBeInstanceOf(SupersededError);
    await expect(refusal).rejects.toThrow(
      `Execution ${executionArn} (attempt 0) no longer holds the lock of tenant t-1`,
    );
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe(
      '(#lock.#executionArn = :fenceArn AND (attribute_not_exists(#lock.#attempt) OR #lock.#attempt <= :fenceAttempt))',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#lock': 'lock', '#attempt': 'attempt' });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':fenceArn': executionArn, ':fenceAttempt': 0 });
  });

  it("raises the lock's attempt to a redrive's, so the attempts before it are refused from then on", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: stored() });

    await registry.holdLock(tenantId, { executionArn, attempt: 3 }, now);

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toContain('#lock.#attempt = :fenceAttempt');
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':fenceAttempt': 3 });
  });

  it('is Superseded when another execution holds the tenant', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(
      registry.holdLock(tenantId, { executionArn: otherExecutionArn, attempt: 0 }, now),
    ).rejects.toMatchObject({ name: 'Superseded' });
  });

  it('turns throttling into TransientAwsError, not Superseded', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.holdLock(tenantId, fence, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('updateHoldingLock', () => {
  it("ANDs an extra condition after the fence's", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: stored() });

    await registry.updateHoldingLock(
      tenantId,
      fence,
      {
        sets: ['#route = :route'],
        names: { '#route': 'route' },
        values: { ':route': 'r' },
        condition: 'attribute_not_exists(#route)',
      },
      now,
    );

    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe(
      `${fenceConditionExpression} AND attribute_not_exists(#route)`,
    );
  });
});

describe('savePlan', () => {
  const plan = {
    tier: 'premium',
    isolationModel: 'silo-cluster',
    templateVersion: '1.0.0',
    stacks: [{ stackName: 'tenant-t-1' }],
  } as const;

  it('writes the plan in the write that proves the fence holds the lock', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: stored() });

    await registry.savePlan(tenantId, fence, plan, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      fencedUpdate(target, fence, now, {
        expression: 'SET #plan = :plan, #version = #version + :one, #updatedAt = :now, #lock.#attempt = :fenceAttempt',
        names: { '#plan': 'plan' },
        values: { ':plan': plan },
      }),
    ]);
  });

  it('fails with Superseded when the fence no longer holds the tenant', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.savePlan(tenantId, fence, plan, now)).rejects.toBeInstanceOf(SupersededError);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.savePlan(tenantId, fence, plan, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('completeOperation', () => {
  const held = { operation: 'onboarding', registrationId: 'r-1', fence } as const;
  const ours = { key: 'onboarding#r-1', executionArn, at: now };

  it('sets the status, records the completion and who completed it, and releases the lock, under the fence', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: stored() });

    await registry.completeOperation(tenantId, held, { status: 'ACTIVE', tenantConfig: '{"tier":"premium"}' }, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      fencedUpdate(target, fence, now, {
        // The lock goes away in this write, so its attempt is not raised.
        expression:
          'SET #status = :status, #completed.#key = :now, #lastCompletion = :completion, #tenantConfig = :tenantConfig, ' +
          '#version = #version + :one, #updatedAt = :now REMOVE #lock, #wait',
        names: {
          '#status': 'status',
          '#completed': 'completed',
          '#key': 'onboarding#r-1',
          '#lastCompletion': 'lastCompletion',
          '#wait': 'wait',
          '#tenantConfig': 'tenantConfig',
        },
        values: { ':status': 'ACTIVE', ':completion': ours, ':tenantConfig': '{"tier":"premium"}' },
      }),
    ]);
  });

  it('removes the route when asked', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: stored() });

    await registry.completeOperation(
      tenantId,
      { ...held, operation: 'offboarding' },
      { status: 'DELETED', removeRoute: true },
      now,
    );

    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.UpdateExpression).toBe(
      'SET #status = :status, #completed.#key = :now, #lastCompletion = :completion, #version = #version + :one, #updatedAt = :now REMOVE #lock, #wait, #route, #tierChange',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#route': 'route', '#key': 'offboarding#r-1' });
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':tenantConfig');
  });

  it('is a no-op when retried by the execution that completed it, even after another operation locked the tenant', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: stored({
        status: 'OFFBOARDING',
        completed: { 'onboarding#r-1': now },
        lastCompletion: ours,
        lock: {
          operation: 'offboarding',
          registrationId: 'r-2',
          executionArn: otherExecutionArn,
          acquiredAt: now,
          attempt: 0,
        },
      }),
    });

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: tableName, Key: key, ConsistentRead: true },
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('is a no-op for a record of the previous release (no lastCompletion) that completed the operation and has no lock', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: stored({ status: 'ACTIVE', completed: { 'onboarding#r-1': now } }) });

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).resolves.toBeUndefined();
  });

  it('retried by the execution that completed it, is a no-op; after another execution completed the same request, is Superseded', async () => {
    const completedBy = (completer: string) => ({
      Item: stored({
        status: 'ACTIVE',
        completed: { 'onboarding#r-1': now },
        lastCompletion: { ...ours, executionArn: completer },
      }),
    });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolvesOnce(completedBy(executionArn)).resolvesOnce(completedBy(otherExecutionArn));

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).resolves.toBeUndefined();
    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
  });

  it.each([
    [
      'another operation completed after it',
      stored({
        status: 'DELETED',
        completed: { 'onboarding#r-1': now, 'offboarding#r-2': now },
        lastCompletion: { key: 'offboarding#r-2', executionArn: otherExecutionArn, at: now },
      }),
    ],
    [
      'a record of the previous release completed it but another operation holds it now',
      stored({
        status: 'OFFBOARDING',
        completed: { 'onboarding#r-1': now },
        lock: { operation: 'offboarding', registrationId: 'r-2', executionArn: otherExecutionArn, acquiredAt: now },
      }),
    ],
    [
      'another execution holds the tenant',
      stored({
        lock: { operation: 'offboarding', registrationId: 'r-2', executionArn: otherExecutionArn, acquiredAt: now },
      }),
    ],
    ['the lock is gone and the operation never completed', stored({})],
  ])('fails with Superseded when %s', async (_case, current) => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: current });

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
  });

  it('fails with Superseded when the record is gone', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(
      SupersededError,
    );
  });

  it('turns throttling into TransientAwsError without re-reading', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.completeOperation(tenantId, held, { status: 'ACTIVE' }, now)).rejects.toBeInstanceOf(
      TransientAwsError,
    );
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('confirmReply', () => {
  const completed = { operation: 'onboarding', registrationId: 'r-1', endStatus: 'ACTIVE' } as const;

  it("proves in one conditional write that the completed operation's reply is still the answer", async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.confirmReply(tenantId, completed, fence, now);

    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #repliedAt = :now',
        // Nothing holds the tenant, this operation completed, the status is its end status, and no
        // other operation completed after it (records of the previous release have no lastCompletion).
        ConditionExpression:
          'attribute_not_exists(#lock) AND attribute_exists(#completed.#key) AND #status = :endStatus AND ' +
          '(attribute_not_exists(#lastCompletion) OR #lastCompletion.#lastKey = :key)',
        ExpressionAttributeNames: {
          '#repliedAt': 'repliedAt',
          '#lock': 'lock',
          '#completed': 'completed',
          '#key': 'onboarding#r-1',
          '#status': 'status',
          '#lastCompletion': 'lastCompletion',
          '#lastKey': 'key',
        },
        ExpressionAttributeValues: { ':now': now, ':endStatus': 'ACTIVE', ':key': 'onboarding#r-1' },
      },
    ]);
  });

  it("is Superseded when the condition fails: a newer operation's reply answers the registration", async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.confirmReply(tenantId, completed, fence, now)).rejects.toBeInstanceOf(SupersededError);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.confirmReply(tenantId, completed, fence, now)).rejects.toBeInstanceOf(TransientAwsError);
  });
});
