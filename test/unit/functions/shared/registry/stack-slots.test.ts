import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../../../functions/shared/step/errors.ts';
import {
  createStackSlotRelease,
  createStackSlots,
  slotKey,
  slotLeaseSeconds,
} from '../../../../../functions/shared/registry/stack-slots.ts';
import {
  conditionFailed,
  leaseSeconds,
  now,
  nowSeconds,
  partition,
  slotDelete,
  slotItem,
  slotPut,
  slotRenewal,
  slotsQuery,
  tableName,
  throttled,
} from './stack-slots.fixture.ts';
import { servePages } from '../aws/pages.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const slots = createStackSlots(tableName, { limit: 3, leaseSeconds });
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:reg-1';

function inputs(command: Parameters<typeof ddb.commandCalls>[0]): unknown[] {
  return ddb.commandCalls(command).map((call) => call.args[0].input);
}

beforeEach(() => {
  ddb.reset();
});

describe('slot keys and lease', () => {
  it('pads the slot number to four digits so the sort key orders numerically', () => {
    expect(slotKey(7)).toEqual({ pk: partition, sk: 'SLOT#0007' });
    expect(slotKey(999)).toEqual({ pk: partition, sk: 'SLOT#0999' });
  });

  it('leases a slot for the stack deadline plus ten minutes', () => {
    expect(slotLeaseSeconds(3600)).toBe(4200);
  });
});

describe('acquire', () => {
  it('takes the lowest slot of an empty house with a conditional Put', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] }).on(PutCommand).resolves({});

    const held = await slots.acquire('t1', executionArn, now);

    expect(held).toEqual({ slot: 0, renewed: false });
    expect(inputs(QueryCommand)).toEqual([slotsQuery()]);
    expect(inputs(PutCommand)).toEqual([slotPut(0, 't1', executionArn)]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('gives a second tenant the next free slot', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1')] })
      .on(PutCommand)
      .resolves({});

    const held = await slots.acquire('t2', executionArn, now);

    expect(held).toEqual({ slot: 1, renewed: false });
    expect(inputs(PutCommand)).toEqual([slotPut(1, 't2', executionArn)]);
  });

  it('tries the next free slot when another tenant took one first', async () => {
    ddb.on(QueryCommand).resolves({ Items: [slotItem(1, 't1')] });
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});

    const held = await slots.acquire('t2', executionArn, now);

    expect(held).toEqual({ slot: 2, renewed: false });
    expect(inputs(PutCommand)).toEqual([slotPut(0, 't2', executionArn), slotPut(2, 't2', executionArn)]);
  });

  it('returns undefined, writing nothing, when every slot is held', async () => {
    ddb.on(QueryCommand).resolves({ Items: [slotItem(0, 't1'), slotItem(1, 't2'), slotItem(2, 't3')] });

    const held = await slots.acquire('t4', executionArn, now);

    expect(held).toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('returns undefined when the last free slots are taken by others meanwhile', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1')] })
      .on(PutCommand)
      .rejects(conditionFailed());

    const held = await slots.acquire('t4', executionArn, now);

    expect(held).toBeUndefined();
    expect(inputs(PutCommand)).toEqual([slotPut(1, 't4', executionArn), slotPut(2, 't4', executionArn)]);
  });

  it('reclaims a slot whose lease has run out', async () => {
    const expired = nowSeconds - 1;
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1'), slotItem(1, 'dead', expired), slotItem(2, 't3')] })
      .on(PutCommand)
      .resolves({});

    const held = await slots.acquire('t4', executionArn, now);

    expect(held).toEqual({ slot: 1, renewed: false, reclaimedFrom: 'dead' });
    expect(inputs(PutCommand)).toEqual([slotPut(1, 't4', executionArn)]);
  });

  it('does not treat a lease ending right now as expired', async () => {
    ddb.on(QueryCommand).resolves({ Items: [slotItem(0, 't1', nowSeconds), slotItem(1, 't2'), slotItem(2, 't3')] });

    await expect(slots.acquire('t4', executionArn, now)).resolves.toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('keeps the slot the tenant already holds, renewing its lease for this execution', async () => {
    const later = new Date(now.getTime() + 600_000);
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1'), slotItem(1, 't2'), slotItem(2, 't3')] })
      .on(UpdateCommand)
      .resolves({});

    const held = await slots.acquire('t2', executionArn, later);

    expect(held).toEqual({ slot: 1, renewed: true });
    expect(inputs(UpdateCommand)).toEqual([slotRenewal(1, 't2', executionArn, later)]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('takes a free slot when its own expired slot was reclaimed before the renewal', async () => {
    ddb.on(QueryCommand).resolves({ Items: [slotItem(0, 't2', nowSeconds - 5), slotItem(1, 't1')] });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(PutCommand).callsFake((input: { Item: { sk: string } }) => {
      if (input.Item.sk === 'SLOT#0000') throw conditionFailed();
      return {};
    });

    const held = await slots.acquire('t2', executionArn, now);

    expect(held).toEqual({ slot: 2, renewed: false });
    expect(inputs(UpdateCommand)).toEqual([slotRenewal(0, 't2', executionArn)]);
    expect(inputs(PutCommand)).toEqual([slotPut(0, 't2', executionArn), slotPut(2, 't2', executionArn)]);
  });

  it('reads every page of slots', async () => {
    const lastKey = { pk: partition, sk: 'SLOT#0001' };
    const slotPages = servePages([
      { Items: [slotItem(0, 't1'), slotItem(1, 't2')], LastEvaluatedKey: lastKey },
      { Items: [slotItem(2, 't3')] },
    ]);
    ddb.on(QueryCommand).callsFake(slotPages.answer);

    await expect(slots.acquire('t4', executionArn, now)).resolves.toBeUndefined();
    expect(slotPages.sent).toEqual([slotsQuery(), slotsQuery(undefined, lastKey)]);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] }).on(PutCommand).rejects(throttled());

    await expect(slots.acquire('t1', executionArn, now)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('lets unknown errors through untouched', async () => {
    const denied = Object.assign(new Error('denied'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    ddb.on(QueryCommand).rejects(denied);

    await expect(slots.acquire('t1', executionArn, now)).rejects.toBe(denied);
  });
});

describe('release', () => {
  it('deletes each slot the tenant holds, conditional on still holding it', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1'), slotItem(2, 't1')] })
      .on(DeleteCommand)
      .resolves({});

    const released = await slots.release('t1');

    expect(released).toEqual([0, 2]);
    expect(inputs(QueryCommand)).toEqual([slotsQuery('t1')]);
    expect(inputs(DeleteCommand)).toEqual([slotDelete(0, 't1'), slotDelete(2, 't1')]);
  });

  it('leaves alone a slot another tenant reclaimed meanwhile', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(1, 't1')] })
      .on(DeleteCommand)
      .rejects(conditionFailed());

    await expect(slots.release('t1')).resolves.toEqual([]);
  });

  it('does nothing when the tenant holds no slot', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await expect(slots.release('t1')).resolves.toEqual([]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns throttling into TransientAwsError', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1')] })
      .on(DeleteCommand)
      .rejects(throttled());

    await expect(slots.release('t1')).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('is available on its own to functions that only free slots', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [slotItem(0, 't1')] })
      .on(DeleteCommand)
      .resolves({});

    await expect(createStackSlotRelease(tableName).release('t1')).resolves.toEqual([0]);
    expect(inputs(DeleteCommand)).toEqual([slotDelete(0, 't1')]);
  });
});
