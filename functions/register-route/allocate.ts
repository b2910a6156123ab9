/**
 * Where a new tenant route goes: which listener and which rule priority. Pure: the handler
 * reads the taken priorities from the registry and claims the answer there with a conditional
 * write, so a concurrent tenant that picked the same slot simply loses and asks again. Also the
 * template parameters a silo tenant's stack builds its own rule from.
 */
import { InvalidStepInputError } from '../shared/errors.ts';
import type { RouteSpec } from '../shared/steps.ts';
import { RouteParameter } from '../shared/template-parameters.ts';

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

/** True for the isolation models whose stack creates the tenant's listener rule itself. */
export function stackOwnsRule(isolationModel: 'pool' | 'silo-services' | 'silo-cluster'): boolean {
  return isolationModel !== 'pool';
}

/**
 * Header name passed for host-style routes: CloudFormation needs a value for every parameter
 * the template declares, and the template ignores it for host style.
 */
export const defaultRouteHeaderName = 'x-tenant-id';

/**
 * The template parameters that let a silo tenant's stack create its own listener rule at the
 * claimed priority (see RouteParameter).
 */
export function routeStackParameters(route: RouteSlot & RouteSpec): Record<string, string> {
  return {
    [RouteParameter.listenerArn]: route.listenerArn,
    [RouteParameter.rulePriority]: String(route.priority),
    [RouteParameter.routeStyle]: route.style,
    [RouteParameter.routeValue]: route.value,
    [RouteParameter.routeHeaderName]: route.headerName !== undefined && route.headerName !== '' ? route.headerName : defaultRouteHeaderName,
  };
}

/** Rejects input that could never become a rule (a header route without a header name) before anything is claimed. */
export function validateRouteRequest(route: RouteSpec): void {
  if (route.style === 'header' && (route.headerName === undefined || route.headerName === '')) {
    throw new InvalidStepInputError('RegisterTenantRoute received a header-style route without headerName');
  }
}
