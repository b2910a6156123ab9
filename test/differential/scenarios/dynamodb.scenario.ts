/**
 * DynamoDB: every conditional write the registry makes, refused and accepted, and Query pages,
 * through the registry adapters (functions/shared/registry/*) and the handlers' document client.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocumentClient } from '../../../functions/shared/aws/clients.ts';
import { queryAllItems } from '../../../functions/shared/registry/query-pages.ts';
import { createRouteRegistry } from '../../../functions/shared/registry/route-priorities.ts';
import { createStackSlots } from '../../../functions/shared/registry/stack-slots.ts';
import { createRegistry, type OperationLock } from '../../../functions/shared/registry/tenants.ts';
import { type Scenario, settle } from '../scenario.ts';
import { type World, executionArnOf } from '../world.ts';

const t0 = '2026-12-01T10:00:00.000Z';
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const later = (iso: string, by: number) => new Date(Date.parse(iso) + by * 1000).toISOString();

function lockFor(world: World, name: string, acquiredAt = t0): OperationLock {
  return {
    operation: 'onboarding',
    registrationId: `registration-${name}`,
    executionArn: executionArnOf(world, name),
    acquiredAt,
  };
}

export const dynamoDbScenarios: readonly Scenario[] = [
  {
    name: 'registry-acquire-lock',
    service: 'DynamoDB',
    calls: ['PutItem (attribute_not_exists)', 'UpdateItem (version)', 'GetItem'],
    async run(world) {
      const registry = createRegistry(world.registryTable);
      const tenant = 'diff-acquire';
      const lock = lockFor(world, 'acquire-1');
      const fields = { status: 'ONBOARDING', tier: 'basic', tenantName: 'Acquire' } as const;
      const created = await registry.acquireLock(tenant, undefined, lock, fields);
      const createdAgain = await registry.acquireLock(tenant, undefined, lock, fields);
      const takeover = lockFor(world, 'acquire-2', later(t0, 1));
      const byVersion = await registry.acquireLock(tenant, 1, takeover, { status: 'OFFBOARDING' });
      const staleVersion = await registry.acquireLock(tenant, 1, takeover, { status: 'OFFBOARDING' });
      const record = await registry.getTenant(tenant);
      return { created, createdAgain, byVersion, staleVersion, record };
    },
  },
  {
    name: 'registry-tombstone',
    service: 'DynamoDB',
    calls: ['PutItem (attribute_not_exists OR expired)', 'UpdateItem (REMOVE)', 'GetItem'],
    async run(world) {
      const registry = createRegistry(world.registryTable);
      const tenant = 'diff-tombstone';
      const expiresAt = seconds(t0) + 60;
      const tombstone = await registry.acquireLock(tenant, undefined, lockFor(world, 'tomb-1'), {
        status: 'DELETED',
        tombstoneExpiresAt: expiresAt,
      });
      const beforeExpiry = await registry.acquireLock(tenant, undefined, lockFor(world, 'tomb-2', later(t0, 30)), {
        status: 'ONBOARDING',
      });
      const readBeforeExpiry = (await registry.getTenant(tenant, new Date(later(t0, 30))))?.status ?? null;
      const readAfterExpiry = (await registry.getTenant(tenant, new Date(later(t0, 61))))?.status ?? null;
      const afterExpiry = await registry.acquireLock(tenant, undefined, lockFor(world, 'tomb-3', later(t0, 61)), {
        status: 'ONBOARDING',
      });
      const record = await registry.getTenant(tenant, new Date(later(t0, 61)));
      const retaken = await registry.acquireLock(tenant, 1, lockFor(world, 'tomb-4', later(t0, 62)), {
        status: 'ONBOARDING',
      });
      const final = await registry.getTenant(tenant, new Date(later(t0, 62)));
      return { tombstone, beforeExpiry, readBeforeExpiry, readAfterExpiry, afterExpiry, record, retaken, final };
    },
  },
  {
    name: 'registry-case-fold',
    service: 'DynamoDB',
    calls: ['PutItem (attribute_not_exists OR equal)', 'DeleteItem (conditional)'],
    async run(world) {
      const registry = createRegistry(world.registryTable);
      return {
        claim: await settle(() => registry.claimCaseFold('Diff-Case', t0)),
        claimAgain: await settle(() => registry.claimCaseFold('Diff-Case', t0)),
        otherCase: await settle(() => registry.claimCaseFold('diff-CASE', t0)),
        releaseByOther: await settle(() => registry.releaseCaseFold('diff-CASE')),
        stillHeld: await settle(() => registry.claimCaseFold('diff-CASE', t0)),
        release: await settle(() => registry.releaseCaseFold('Diff-Case')),
        releaseAgain: await settle(() => registry.releaseCaseFold('Diff-Case')),
        otherCaseAfterRelease: await settle(() => registry.claimCaseFold('diff-CASE', t0)),
      };
    },
  },
  {
    name: 'registry-fenced-updates',
    service: 'DynamoDB',
    calls: ['UpdateItem (nested-attribute condition, ALL_NEW)'],
    async run(world) {
      const registry = createRegistry(world.registryTable);
      const tenant = 'diff-fence';
      const lock = lockFor(world, 'fence-1');
      await registry.acquireLock(tenant, undefined, lock, { status: 'ONBOARDING' });
      const fence = { executionArn: lock.executionArn, attempt: 0 };
      const held = await settle(() => registry.holdLock(tenant, fence, later(t0, 1)));
      const plan = {
        tier: 'advanced',
        isolationModel: 'silo-services',
        stacks: [{ stackName: 'tenant-diff-fence' }],
      } as const;
      const saved = await settle(() => registry.savePlan(tenant, fence, plan, later(t0, 2)));
      const redriven = await settle(() => registry.holdLock(tenant, { ...fence, attempt: 1 }, later(t0, 3)));
      const earlierAttempt = await settle(() => registry.holdLock(tenant, fence, later(t0, 4)));
      const otherExecution = await settle(() =>
        registry.holdLock(tenant, { executionArn: executionArnOf(world, 'fence-x'), attempt: 5 }, t0),
      );
      const missingTenant = await settle(() => registry.holdLock('diff-fence-nobody', fence, t0));
      const record = await registry.getTenant(tenant);
      return { held, saved, redriven, earlierAttempt, otherExecution, missingTenant, record };
    },
  },
  {
    name: 'registry-complete-confirm-fail',
    service: 'DynamoDB',
    calls: ['UpdateItem (map key SET, REMOVE)', 'UpdateItem (attribute_exists on map key)'],
    async run(world) {
      const registry = createRegistry(world.registryTable);
      const tenant = 'diff-complete';
      const lock = lockFor(world, 'complete-1');
      await registry.acquireLock(tenant, undefined, lock, { status: 'ONBOARDING' });
      const fence = { executionArn: lock.executionArn, attempt: 0 };
      const failure = {
        executionArn: lock.executionArn,
        failedStep: 'ConvergeStacks',
        errorName: 'StackFailed',
        failureReason: 'diff',
        at: later(t0, 1),
      };
      const recorded = await settle(() => registry.recordFailure(tenant, failure));
      const completion = { operation: lock.operation, registrationId: lock.registrationId, fence };
      const completed = await settle(() =>
        registry.completeOperation(tenant, completion, { status: 'ACTIVE', tenantConfig: '{"a":1}' }, later(t0, 2)),
      );
      const completedAgain = await settle(() =>
        registry.completeOperation(tenant, completion, { status: 'ACTIVE' }, later(t0, 3)),
      );
      const recordedLate = await settle(() => registry.recordFailure(tenant, failure));
      const confirmed = await settle(() =>
        registry.confirmReply(tenant, { ...completion, endStatus: 'ACTIVE' }, fence, later(t0, 4)),
      );
      const confirmedWrongStatus = await settle(() =>
        registry.confirmReply(tenant, { ...completion, endStatus: 'DELETED' }, fence, later(t0, 5)),
      );
      const record = await registry.getTenant(tenant);
      return { recorded, completed, completedAgain, recordedLate, confirmed, confirmedWrongStatus, record };
    },
  },
  {
    name: 'registry-route-priorities',
    service: 'DynamoDB',
    calls: ['PutItem (attribute_not_exists)', 'Query (filter, projection)', 'DeleteItem (conditional)'],
    async run(world) {
      const routes = createRouteRegistry(world.registryTable);
      const registry = createRegistry(world.registryTable);
      const listenerArn = world.listeners[0].listenerArn;
      const holders = ['diff-route-a', 'diff-route-b'];
      const fences = [];
      for (const tenant of holders) {
        const lock = lockFor(world, tenant);
        await registry.acquireLock(tenant, undefined, lock, { status: 'ONBOARDING' });
        fences.push({ executionArn: lock.executionArn, attempt: 0 });
      }
      const route = (tenant: string, priority: number) => ({
        listenerArn,
        priority,
        style: 'header' as const,
        headerName: 'x-tenant-id',
        value: tenant,
      });
      const [fenceA, fenceB] = fences as [(typeof fences)[0], (typeof fences)[0]];
      const claimA = await settle(() => routes.claimPriority('diff-route-a', fenceA, route('diff-route-a', 5), t0));
      const claimB = await settle(() => routes.claimPriority('diff-route-b', fenceB, route('diff-route-b', 5), t0));
      const claimAAgain = await settle(() =>
        routes.claimPriority('diff-route-a', fenceA, route('diff-route-a', 9), t0),
      );
      const foreign = await settle(() => routes.reserveForeignPriority(listenerArn, 6, t0));
      const foreignAgain = await settle(() => routes.reserveForeignPriority(listenerArn, 6, t0));
      const taken = await routes.takenPriorities(listenerArn);
      const claimedByA = await routes.claimedPriority(listenerArn, 'diff-route-a');
      const claimedByB = (await routes.claimedPriority(listenerArn, 'diff-route-b')) ?? null;
      const freeOthers = await settle(() => routes.deletePriority(listenerArn, 5, 'diff-route-b'));
      const released = await settle(() =>
        routes.releaseRoute('diff-route-a', fenceA, { listenerArn, priority: 5 }, t0),
      );
      const takenAfter = await routes.takenPriorities(listenerArn);
      const record = await registry.getTenant('diff-route-a');
      return {
        claimA,
        claimB,
        claimAAgain,
        foreign,
        foreignAgain,
        taken,
        claimedByA,
        claimedByB,
        freeOthers,
        released,
        takenAfter,
        route: record?.route ?? null,
      };
    },
  },
  {
    name: 'registry-query-pages',
    service: 'DynamoDB',
    calls: ['Query (Limit, LastEvaluatedKey, FilterExpression)'],
    async run(world) {
      const pk = 'DIFF#query-pages';
      for (let index = 0; index < 9; index += 1) {
        await dynamoDbDocumentClient().send(
          new PutCommand({
            TableName: world.registryTable,
            Item: { pk, sk: `ITEM#${index}`, even: index % 2 === 0, index },
          }),
        );
      }
      const all = await queryAllItems({
        TableName: world.registryTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: 2,
        ConsistentRead: true,
      });
      const filtered = await queryAllItems({
        TableName: world.registryTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#even = :true',
        ProjectionExpression: 'sk, #index',
        ExpressionAttributeNames: { '#even': 'even', '#index': 'index' },
        ExpressionAttributeValues: { ':pk': pk, ':prefix': 'ITEM#', ':true': true },
        Limit: 3,
        ConsistentRead: true,
      });
      return { all: all.map((item) => item.sk), filtered };
    },
  },
  {
    name: 'registry-stack-slots',
    service: 'DynamoDB',
    calls: ['Query (begins_with, filter)', 'PutItem (attribute_not_exists OR lease over)', 'UpdateItem', 'DeleteItem'],
    async run(world) {
      const slots = createStackSlots(world.registryTable, { limit: 2, leaseSeconds: 60 });
      const arn = (name: string) => executionArnOf(world, name);
      const now = new Date(t0);
      const first = await slots.acquire('diff-slot-a', arn('slot-a'), now);
      const renewed = await slots.acquire('diff-slot-a', arn('slot-a'), now);
      const second = await slots.acquire('diff-slot-b', arn('slot-b'), now);
      const full = (await slots.acquire('diff-slot-c', arn('slot-c'), now)) ?? null;
      const released = await slots.release('diff-slot-a');
      const releasedAgain = await slots.release('diff-slot-a');
      const afterRelease = await slots.acquire('diff-slot-c', arn('slot-c'), now);
      const reclaimed = await slots.acquire('diff-slot-d', arn('slot-d'), new Date(later(t0, 120)));
      return { first, renewed, second, full, released, releasedAgain, afterRelease, reclaimed };
    },
  },
];
