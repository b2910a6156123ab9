/**
 * Where a new tenant route goes: which listener and which rule priority. Pure: the handler
 * reads the taken priorities from the registry and claims the answer there with a conditional
 * write, so a concurrent tenant that picked the same slot simply loses and asks again.
 */
import { InvalidStepInputError } from '../shared/errors.ts';
import type { RouteSpec } from '../shared/steps.ts';

/** One configured listener with the priorities the registry says are taken on it. */
export interface ListenerUsage {
  readonly listenerArn: string;
  /** Rules this listener may hold for tenants. */
  readonly capacity: number;
  /** Priorities taken by tenants or reserved for foreign rules, in any order. */
  readonly taken: readonly number[];
}

/** A free slot: the listener and the priority to claim on it. */
export interface RouteSlot {
  readonly listenerArn: string;
  readonly priority: number;
}

/** The lowest priority in 1..highestPriority that is not taken; undefined when none is free. */
export function lowestFreePriority(taken: readonly number[], highestPriority: number): number | undefined {
  const used = new Set(taken);
  for (let priority = 1; priority <= highestPriority; priority += 1) {
    if (!used.has(priority)) return priority;
  }
  return undefined;
}

/**
 * Picks the first listener, in configured order, that is below its capacity and the lowest
 * free priority on it. Undefined when every listener is full.
 */
export function allocateRouteSlot(listeners: readonly ListenerUsage[], highestPriority: number): RouteSlot | undefined {
  for (const listener of listeners) {
    if (listener.taken.length >= listener.capacity) continue;
    const priority = lowestFreePriority(listener.taken, highestPriority);
    if (priority !== undefined) return { listenerArn: listener.listenerArn, priority };
  }
  return undefined;
}

/** The operator-facing message when every listener is full: what is full and how to fix it. */
export function capacityExceededMessage(listeners: readonly ListenerUsage[]): string {
  const taken = listeners.reduce((sum, listener) => sum + listener.taken.length, 0);
  const capacity = listeners.reduce((sum, listener) => sum + listener.capacity, 0);
  return (
    `All ${listeners.length} route listener(s) are full (${taken} of ${capacity} rules). ` +
    'Add a listener to ROUTE_LISTENERS or raise the Rules per Application Load Balancer quota and the listener\'s capacity.'
  );
}

/**
 * Priorities that rules on a listener hold although the registry does not know them: rules
 * created outside the orchestrator. Reserving them keeps the allocator from offering them again.
 */
export function unregisteredPriorities(rulePriorities: readonly number[], taken: readonly number[]): number[] {
  const known = new Set(taken);
  return [...new Set(rulePriorities)].filter((priority) => !known.has(priority)).sort((a, b) => a - b);
}

/**
 * The target group the tenant's rule forwards to: the tenant's own one for silo models (from
 * the stack outputs), the listener's pooled one for pool tenants.
 */
export function routeTargetGroup(
  isolationModel: 'pool' | 'silo-services' | 'silo-cluster',
  tenantTargetGroupArn: string | undefined,
  pooledTargetGroupArn: string,
): string {
  if (isolationModel === 'pool') return pooledTargetGroupArn;
  if (tenantTargetGroupArn === undefined || tenantTargetGroupArn === '') throw missingTargetGroup(isolationModel);
  return tenantTargetGroupArn;
}

function missingTargetGroup(isolationModel: string): InvalidStepInputError {
  return new InvalidStepInputError(
    `RegisterTenantRoute needs the TargetGroupArn stack output for a ${isolationModel} tenant: the tenant stack must output its target group`,
  );
}

/**
 * Rejects input that could never become a rule (a header route without a header name, a silo
 * tenant without its target group) before anything is claimed.
 */
export function validateRouteRequest(input: {
  readonly route: RouteSpec;
  readonly isolationModel: 'pool' | 'silo-services' | 'silo-cluster';
  readonly targetGroupArn?: string | undefined;
}): void {
  if (input.route.style === 'header' && (input.route.headerName === undefined || input.route.headerName === '')) {
    throw new InvalidStepInputError('RegisterTenantRoute received a header-style route without headerName');
  }
  if (input.isolationModel !== 'pool' && (input.targetGroupArn === undefined || input.targetGroupArn === '')) {
    throw missingTargetGroup(input.isolationModel);
  }
}
