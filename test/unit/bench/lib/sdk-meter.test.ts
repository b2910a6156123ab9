import { describe, expect, it } from 'vitest';
import { billedUnits, consumedUnits, SdkMeter, serviceName } from '../../../../bench/lib/sdk-meter.ts';

describe('serviceName', () => {
  it('names services as the summary does', () => {
    expect(serviceName('DynamoDBClient')).toBe('DynamoDB');
    expect(serviceName('SFNClient')).toBe('StepFunctions');
    expect(serviceName('ElasticLoadBalancingV2Client')).toBe('ELBv2');
    expect(serviceName('CloudFormationClient')).toBe('CloudFormation');
  });
});

describe('consumedUnits', () => {
  it('reads one ConsumedCapacity or sums a batch list', () => {
    expect(consumedUnits({ TableName: 't', CapacityUnits: 2 })).toBe(2);
    expect(consumedUnits([{ CapacityUnits: 1 }, { CapacityUnits: 0.5 }])).toBe(1.5);
    expect(consumedUnits(undefined)).toBeUndefined();
  });
});

describe('billedUnits', () => {
  it('bills at least one unit per request', () => {
    expect(billedUnits('Query', 0, true)).toEqual({ read: 1, write: 0 });
    expect(billedUnits('Query', 0, false)).toEqual({ read: 0.5, write: 0 });
    expect(billedUnits('GetItem', 3, true)).toEqual({ read: 3, write: 0 });
    expect(billedUnits('PutItem', undefined, false)).toEqual({ read: 0, write: 1 });
    expect(billedUnits('UpdateItem', 2, false)).toEqual({ read: 0, write: 2 });
  });

  it('bills nothing for control-plane calls', () => {
    expect(billedUnits('DescribeTable', undefined, false)).toEqual({ read: 0, write: 0 });
  });
});

describe('SdkMeter', () => {
  it('counts calls, errors, request units and events until reset', () => {
    const meter = new SdkMeter();

    meter.record(
      'DynamoDB',
      'GetItem',
      { ConsistentRead: true },
      { output: { ConsumedCapacity: { CapacityUnits: 1 } } },
    );
    meter.record('DynamoDB', 'PutItem', {}, { output: { ConsumedCapacity: { CapacityUnits: 2 } } });
    meter.record('DynamoDB', 'PutItem', {}, { error: { name: 'ConditionalCheckFailedException' } });
    meter.record('EventBridge', 'PutEvents', { Entries: [{}, {}] }, { output: {} });
    meter.record('CloudFormation', 'DescribeStacks', {}, { error: { name: 'ValidationError' } });

    expect(meter.reading()).toEqual({
      calls: {
        'DynamoDB GetItem': 1,
        'DynamoDB PutItem': 2,
        'EventBridge PutEvents': 1,
        'CloudFormation DescribeStacks': 1,
      },
      errors: {
        'DynamoDB PutItem ConditionalCheckFailedException': 1,
        'CloudFormation DescribeStacks ValidationError': 1,
      },
      readUnits: 1,
      writeUnits: 3,
      failedConditionalWrites: 1,
      eventsPut: 2,
    });

    meter.reset();

    expect(meter.reading()).toEqual({
      calls: {},
      errors: {},
      readUnits: 0,
      writeUnits: 0,
      failedConditionalWrites: 0,
      eventsPut: 0,
    });
  });
});
