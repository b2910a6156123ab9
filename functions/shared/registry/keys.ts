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
