/**
 * The registry's keys and the pure rules about its records: which item holds what, when a
 * tombstone counts as absent, who completed an operation.
 */
import type { Operation } from '../../../events/contract.ts';
import type { TenantRecord } from './tenants.ts';

/** Key of a completed operation in {@link TenantRecord.completed}. */
export function completionKey(operation: Operation, registrationId: string): string {
  return `${operation}#${registrationId}`;
}

export function tenantKey(tenantId: string): { pk: string; sk: string } {
  return { pk: `TENANT#${tenantId}`, sk: 'TENANT' };
}

/** The value of the tenant list's partition key: the same on every tenant record (tables.ts `tenantList`). */
export const tenantListPartition = 'TENANT';

/**
 * The tenant list's key attributes of a tenant record, written with the record (tables.ts
 * `tenantList`, tenant-pages.ts). The order is the creation time, then the id: ids are ASCII
 * (events/contract.ts), so DynamoDB's byte order and {@link compareTenantListOrder} agree.
 */
export function tenantListKeys(
  tenantId: string,
  createdAt: string,
): { tenantListPartition: string; tenantListOrder: string } {
  return { tenantListPartition, tenantListOrder: `${createdAt}#${tenantId}` };
}

/** Orders records as the tenant list does: oldest first, then by id, byte by byte. */
export function compareTenantListOrder(
  a: { readonly tenantId: string; readonly createdAt: string },
  b: { readonly tenantId: string; readonly createdAt: string },
): number {
  const left = tenantListKeys(a.tenantId, a.createdAt).tenantListOrder;
  const right = tenantListKeys(b.tenantId, b.createdAt).tenantListOrder;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A tenant record as stored, without its table and tenant list keys: the record the code reads. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, tenantListPartition: _partition, tenantListOrder: _order, ...record } = item;
  return record;
}

/**
 * The item that says every tenant record is on the tenant list: written by the one-time backfill
 * (tenant-list.ts) after it listed the records an earlier release wrote without the list's keys.
 */
export const tenantListReadyKey = { pk: 'REGISTRY', sk: 'TENANT_LIST' } as const;

/**
 * The item that reserves a tenant id's lower-cased form. Load balancer host and header matching
 * ignores case, so `Acme` and `acme` could never have distinct routes: the second is refused.
 */
export function caseFoldKey(tenantId: string): { pk: string; sk: string } {
  return { pk: `TENANTID#${tenantId.toLowerCase()}`, sk: 'CASEFOLD' };
}

/** True when the record is a tombstone whose time is up: it counts as absent. */
export function isExpired(record: Pick<TenantRecord, 'tombstoneExpiresAt'>, now: Date): boolean {
  return record.tombstoneExpiresAt !== undefined && record.tombstoneExpiresAt <= Math.floor(now.getTime() / 1000);
}

/**
 * True when `executionArn` completed the operation `key` and nothing completed after it. Records
 * of the previous release name no completer: then a completed entry with no lock is taken as ours.
 */
export function completedBy(record: TenantRecord, key: string, executionArn: string): boolean {
  if (record.lastCompletion !== undefined)
    return record.lastCompletion.key === key && record.lastCompletion.executionArn === executionArn;
  return record.completed[key] !== undefined && record.lock === undefined;
}
