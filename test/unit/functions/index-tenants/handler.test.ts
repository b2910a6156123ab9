import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/index-tenants/handler.ts';
import { context } from '../register-route/route.fixture.ts';

const ddb = mockClient(DynamoDBDocumentClient);

function event(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/orchestrator/1',
    RequestId: 'c6af9ac6',
    LogicalResourceId: 'TenantList',
    ResourceType: 'Custom::TenantList',
    ResourceProperties: { ServiceToken: 'x', listVersion: '1' },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'tenant-list' }),
    ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
  } as CloudFormationCustomResourceEvent;
}

const withTime = { ...context, getRemainingTimeInMillis: () => 300_000 };

beforeEach(() => {
  ddb.reset();
});

describe('index-tenants (the tenant list custom resource)', () => {
  it('lists the records of earlier releases, marks the list complete and says so', async () => {
    ddb.on(ScanCommand).resolves({
      Items: [{ pk: 'TENANT#acme', sk: 'TENANT', tenantId: 'acme', createdAt: '2026-11-01T00:00:00.000Z' }],
    });
    ddb.on(UpdateCommand).resolves({ Attributes: { readyAt: '2026-12-06T00:00:00.000Z' } });

    const result = await handler(event('Create'), withTime);

    expect(result).toEqual({ PhysicalResourceId: 'tenant-list', Data: { complete: 'true', listed: '1' } });
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: 'TENANT#acme', sk: 'TENANT' },
      { pk: 'REGISTRY', sk: 'TENANT_LIST' },
    ]);
  });

  it('never fails the deployment: an error leaves the list incomplete, for index-tenants --aws', async () => {
    ddb.on(ScanCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await expect(handler(event('Update'), withTime)).resolves.toEqual({
      PhysicalResourceId: 'tenant-list',
      Data: { complete: 'false', listed: '0' },
    });
  });

  it('stops unfinished, without the marker, when the function has no time left', async () => {
    const result = await handler(event('Create'), { ...context, getRemainingTimeInMillis: () => 1_000 });

    expect(result.Data.complete).toBe('false');
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it('deletes nothing when the resource is deleted', async () => {
    await handler(event('Delete'), withTime);

    expect(ddb.calls()).toHaveLength(0);
  });
});
