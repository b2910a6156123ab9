/**
 * Route listeners a runtime can be opened with (`routeListeners: { count, capacity }`): the
 * ROUTE_LISTENERS value the handlers read, from which the simulated load balancers are built too,
 * so the two always agree. Each listener is on a load balancer of its own, because the rule
 * quota (the listener's capacity) is counted per load balancer.
 */
import { createHash } from 'node:crypto';
import type { RouteListener } from '../../functions/shared/config/environment.ts';

/** Most listeners a local runtime configures (each is a simulated load balancer). */
const maxLocalListeners = 20;

/** Most tenant rules per listener (the registry's priority range). */
const maxListenerCapacity = 50_000;

function hexId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 16);
}

/**
 * `count` listeners of `capacity` rules each, on load balancers `tenants-1`..`tenants-<count>`.
 *
 * @throws Error when count or capacity is not a whole number in range.
 */
export function localRouteListeners(options: { readonly count: number; readonly capacity: number }): RouteListener[] {
  const { count, capacity } = options;
  if (!Number.isInteger(count) || count < 1 || count > maxLocalListeners) {
    throw new Error(`routeListeners.count must be a whole number from 1 to ${maxLocalListeners}, got ${String(count)}`);
  }
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > maxListenerCapacity) {
    throw new Error(
      `routeListeners.capacity must be a whole number from 1 to ${maxListenerCapacity}, got ${String(capacity)}`,
    );
  }
  const prefix = 'arn:aws:elasticloadbalancing:us-east-1:111122223333';
  return Array.from({ length: count }, (_, index) => {
    const name = `tenants-${index + 1}`;
    return {
      listenerArn: `${prefix}:listener/app/${name}/${hexId(`${name}/load-balancer`)}/${hexId(`${name}/listener`)}`,
      capacity,
      pooledTargetGroupArn: `${prefix}:targetgroup/pooled-${index + 1}/${hexId(`${name}/pooled`)}`,
    };
  });
}

/** ROUTE_LISTENERS as the first runtime of this process left it: what the handlers read at their first import. */
let handlersRouteListeners: string | undefined;

/**
 * Sets ROUTE_LISTENERS for `routeListeners` (nothing when undefined), before the runtime applies
 * the rest of the local environment. The handlers read it once per process, so a configuration
 * other than the one they may have read already is refused.
 *
 * @throws Error when another configuration was in force for an earlier runtime of this process.
 */
export function configureRouteListeners(
  routeListeners: { readonly count: number; readonly capacity: number } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (routeListeners === undefined) return;
  const value = JSON.stringify(localRouteListeners(routeListeners));
  if (handlersRouteListeners !== undefined && handlersRouteListeners !== value) {
    throw new Error(
      `This process's handlers were configured with other route listeners (they read ROUTE_LISTENERS once per process); open a runtime with routeListeners ${JSON.stringify(routeListeners)} in a new process`,
    );
  }
  env.ROUTE_LISTENERS = value;
}

/** Notes the ROUTE_LISTENERS in force once the runtime's environment is applied (the first time in this process only). */
export function noteRouteListenersInForce(env: NodeJS.ProcessEnv = process.env): void {
  handlersRouteListeners ??= env.ROUTE_LISTENERS;
}
