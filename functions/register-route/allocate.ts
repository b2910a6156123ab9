/**
 * Where a new tenant route goes: which listener and which rule priority. Pure: the handler
 * reads the taken priorities from the registry and claims the answer there with a conditional
 * write, so a concurrent tenant that picked the same slot simply loses and asks again. Also the
 * template parameters a silo tenant's stack builds its own rule from.
 */
import { InvalidStepInputError } from '../shared/step/errors.ts';
import type { RouteSpec } from '../shared/step/schemas.ts';
import { RouteParameter } from '../shared/config/template-parameters.ts';

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
  return lowestFreePriorities(taken, highestPriority, 1)[0];
}

/** The `count` lowest priorities in 1..highestPriority that are not taken (fewer when fewer are free). */
export function lowestFreePriorities(taken: readonly number[], highestPriority: number, count: number): number[] {
  const used = new Set(taken);
  const free: number[] = [];
  for (let priority = 1; priority <= highestPriority && free.length < count; priority += 1) {
    if (!used.has(priority)) free.push(priority);
  }
  return free;
}

/**
 * Chooses one of `count` equally good candidates: returns its index, 0..count-1. The handler
 * picks at random so that tenants claiming at the same time spread over different priorities;
 * the default takes the first (the lowest priority), which keeps tests deterministic.
 */
export type CandidatePicker = (count: number) => number;

/** The widest choice of priorities offered on one listener (the default ALB rule quota). */
export const maxPriorityCandidates = 100;

/**
 * Picks the first listener, in configured order, that is below its capacity, and a free priority
 * on it among the lowest `room` free ones (room = capacity minus taken, at most
 * {@link maxPriorityCandidates}). Concurrent tenants then mostly claim different priorities
 * instead of all racing for the lowest one, and still cannot overfill a listener: every candidate
 * lies within the lowest `capacity` priorities that foreign rules above them leave, and each
 * priority is claimed once. Undefined when every listener is full.
 */
export function allocateRouteSlot(
  listeners: readonly ListenerUsage[],
  highestPriority: number,
  pick: CandidatePicker = () => 0,
): RouteSlot | undefined {
  for (const listener of listeners) {
    const room = listener.capacity - listener.taken.length;
    if (room <= 0) continue;
    const candidates = lowestFreePriorities(listener.taken, highestPriority, Math.min(room, maxPriorityCandidates));
    if (candidates.length === 0) continue;
    const index = Math.min(candidates.length - 1, Math.max(0, Math.floor(pick(candidates.length))));
    return { listenerArn: listener.listenerArn, priority: candidates[index]! };
  }
  return undefined;
}

/** The operator-facing message when every listener is full: what is full and how to fix it. */
export function capacityExceededMessage(listeners: readonly ListenerUsage[]): string {
  const taken = listeners.reduce((sum, listener) => sum + listener.taken.length, 0);
  const capacity = listeners.reduce((sum, listener) => sum + listener.capacity, 0);
  return (
    `All ${listeners.length} route listener(s) are full (${taken} of ${capacity} rules). ` +
    "Add a listener to ROUTE_LISTENERS or raise the Rules per Application Load Balancer quota and the listener's capacity."
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
    [RouteParameter.routeHeaderName]:
      route.headerName !== undefined && route.headerName !== '' ? route.headerName : defaultRouteHeaderName,
  };
}

/** Rejects input that could never become a rule (a header route without a header name) before anything is claimed. */
export function validateRouteRequest(route: RouteSpec): void {
  if (route.style === 'header' && (route.headerName === undefined || route.headerName === '')) {
    throw new InvalidStepInputError('RegisterTenantRoute received a header-style route without headerName');
  }
}
