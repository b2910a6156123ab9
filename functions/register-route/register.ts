/**
 * Registers a tenant's listener rule, converging from wherever a previous run stopped:
 * nothing claimed, a priority claimed but no rule, a rule created but not recorded, or done.
 *
 * The priority is claimed in the registry first (a conditional write, so two tenants never get
 * the same one) and the rule created second; the route recorded on the tenant is the memory
 * that lets a re-run or redrive pick up the claim instead of allocating again. A run that
 * crashed between claiming the priority and recording the route left an orphan claim, which
 * is looked for and reused before anything new is allocated (see functions/shared/registry/route-priorities.ts).
 *
 * Silo tenants: ECS will not attach a service to a target group no load balancer uses, so the
 * tenant's stack creates its own rule, before its services. This step runs before the stacks,
 * claims the priority only and returns it as stack parameters; it creates no rule.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RouteListener } from '../shared/config/environment.ts';
import { RouteCapacityExceededError, RouteConflictError, TransientAwsError } from '../shared/step/errors.ts';
import { fenceOf, type Fence, type Registry, type TenantRecord } from '../shared/registry/tenants.ts';
import { maxRulePriority, type RouteRegistry } from '../shared/registry/route-priorities.ts';
import {
  createTenantRule,
  isTenantRule,
  listListenerRules,
  ruleExists,
  ruleTags,
  type ListenerRuleSummary,
} from '../shared/aws/listener-rules.ts';
import type { RegisterRouteInputSchema, RouteRegistration, WorkflowRequest } from '../shared/step/schemas.ts';
import type * as z from 'zod';
import {
  allocateRouteSlot,
  capacityExceededMessage,
  routeStackParameters,
  stackOwnsRule,
  unregisteredPriorities,
  validateRouteRequest,
  type CandidatePicker,
  type RouteSlot,
} from './allocate.ts';

export type RegisterRouteInput = z.infer<typeof RegisterRouteInputSchema>;
type ClaimedRoute = NonNullable<TenantRecord['route']>;

/**
 * Rounds of claim-and-create per invocation. Each lost race or foreign rule costs one; past
 * this the step fails with TransientAwsError and the workflow retries it later, by which time
 * the registry knows the competitors' claims and the foreign priorities.
 */
export const maxRegisterAttempts = 10;

export interface RouteRegistrarDependencies {
  readonly registry: Pick<Registry, 'holdLock'>;
  readonly routeRegistry: RouteRegistry;
  /** Listeners in the order they are filled. */
  readonly listeners: readonly RouteListener[];
  readonly logger: Logger;
  /** ISO-8601 timestamp for registry writes. */
  readonly now: () => string;
  /** Chooses among equally good free priorities (default: the lowest); the handler picks at random. */
  readonly pickPriority?: CandidatePicker;
}

/** Creates the register-route step's core, bound to its registry, listeners and logger. */
export function createRouteRegistrar(deps: RouteRegistrarDependencies) {
  const { registry, routeRegistry, listeners, logger, now, pickPriority } = deps;

  /**
   * The tenant's record, written in the same conditional write that proves the fence still holds
   * its lock (throws SupersededError otherwise): every round proves it before touching the listener.
   */
  async function heldTenant(request: WorkflowRequest, fence: Fence): Promise<TenantRecord> {
    return registry.holdLock(request.tenantId, fence, now());
  }

  /**
   * A priority the tenant already owns although it has no route: a run that crashed between
   * claiming it and recording the route. Reusing it means a re-run never takes a second one.
   */
  async function orphanSlot(tenantId: string): Promise<RouteSlot | undefined> {
    const owned = await Promise.all(
      listeners.map((listener) => routeRegistry.claimedPriority(listener.listenerArn, tenantId)),
    );
    const index = owned.findIndex((priority) => priority !== undefined);
    const listener = listeners[index];
    const priority = owned[index];
    if (listener === undefined || priority === undefined) return undefined;
    logger.info('Reusing the priority an earlier run claimed', { listenerArn: listener.listenerArn, priority });
    return { listenerArn: listener.listenerArn, priority };
  }

  /** The first listener with room and one of its lowest free priorities (see allocateRouteSlot); fails when every listener is full. */
  async function allocateSlot(): Promise<RouteSlot> {
    const usage = await Promise.all(
      listeners.map(async (listener) => ({
        listenerArn: listener.listenerArn,
        capacity: listener.capacity,
        taken: await routeRegistry.takenPriorities(listener.listenerArn),
      })),
    );
    const slot = allocateRouteSlot(usage, maxRulePriority, pickPriority);
    if (slot === undefined) throw new RouteCapacityExceededError(capacityExceededMessage(usage));
    return slot;
  }

  /**
   * Claims the tenant's orphan priority or a newly allocated one; undefined when the claim lost
   * or a foreign rule holds the slot (re-read and try again).
   */
  async function claimNewRoute(input: RegisterRouteInput, fence: Fence): Promise<ClaimedRoute | undefined> {
    const { tenantId } = input.request;
    const orphan = await orphanSlot(tenantId);
    const slot = orphan ?? (await allocateSlot());
    const siloTenant = stackOwnsRule(input.isolationModel);
    if (siloTenant && (await foreignRuleHolds(tenantId, slot, orphan !== undefined))) return undefined;
    const route: ClaimedRoute = {
      listenerArn: slot.listenerArn,
      priority: slot.priority,
      // A silo tenant's rule forwards to its stack's own target group, which the registry never needs.
      ...(siloTenant ? {} : { targetGroupArn: pooledTargetGroup(slot.listenerArn) }),
      style: input.route.style,
      value: input.route.value,
      ...(input.route.headerName !== undefined ? { headerName: input.route.headerName } : {}),
    };
    const claim = await routeRegistry.claimPriority(tenantId, fence, route, now());
    logger.info('Route priority claim', { claim, listenerArn: route.listenerArn, priority: route.priority });
    return claim === 'claimed' ? route : undefined;
  }

  /**
   * Silo tenants, before claiming a slot: true when a rule already holds its priority. No stack
   * of this tenant can hold it yet (its stacks only get a priority the route records), so the rule
   * is foreign; the stack's CreateRule would fail on it. Checked before the route is recorded, so
   * a recorded route is always one that was checked. The tenant's orphan item at the priority is
   * deleted first, then every priority foreign rules hold on the listener reserved.
   */
  async function foreignRuleHolds(tenantId: string, slot: RouteSlot, ownsItem: boolean): Promise<boolean> {
    const rules = await listListenerRules(slot.listenerArn);
    const holder = rules.find((rule) => rule.priority === slot.priority);
    if (holder === undefined) return false;
    logger.warn('A foreign rule holds the allocated priority; reallocating', {
      ruleArn: holder.ruleArn,
      priority: slot.priority,
    });
    // Delete before reserving: the reservation is conditional on the priority being free.
    if (ownsItem) await routeRegistry.deletePriority(slot.listenerArn, slot.priority, tenantId);
    await reserveForeignPriorities(slot.listenerArn, rules);
    return true;
  }

  /** Reserves every priority that `rules` hold on the listener although the registry does not know it. */
  async function reserveForeignPriorities(listenerArn: string, rules: readonly ListenerRuleSummary[]): Promise<void> {
    const taken = await routeRegistry.takenPriorities(listenerArn);
    const foreign = unregisteredPriorities(
      rules.map((rule) => rule.priority),
      taken,
    );
    for (const priority of foreign) await routeRegistry.reserveForeignPriority(listenerArn, priority, now());
    logger.info('Reserved priorities held by foreign rules', { listenerArn, priorities: foreign });
  }

  /** The pooled target group of a configured listener. */
  function pooledTargetGroup(listenerArn: string): string {
    const listener = listeners.find((candidate) => candidate.listenerArn === listenerArn);
    if (listener === undefined) throw new Error(`Route listener ${listenerArn} is not configured`);
    return listener.pooledTargetGroupArn;
  }

  /** Creates the rule of a claimed route unless it exists; undefined when the caller must start over. */
  async function ensureRule(
    input: RegisterRouteInput,
    route: ClaimedRoute,
    fence: Fence,
  ): Promise<RouteRegistration | undefined> {
    if (route.ruleArn !== undefined && (await ruleExists(route.ruleArn))) {
      logger.info('Route already registered', { ruleArn: route.ruleArn });
      return registration(route, route.ruleArn);
    }
    const created = await createRuleOrRelease(input.request, route, fence);
    if (created.outcome === 'created') {
      await routeRegistry.recordRuleArn(input.request.tenantId, fence, created.ruleArn, now());
      logger.info('Route rule created', {
        ruleArn: created.ruleArn,
        listenerArn: route.listenerArn,
        priority: route.priority,
      });
      return registration(route, created.ruleArn);
    }
    return resolvePriorityInUse(input.request, route, fence);
  }

  /**
   * Creates the rule. On a capacity or conflict error the claim is released first, so a redrive
   * after the operator's fix allocates again instead of retrying the same listener.
   */
  async function createRuleOrRelease(request: WorkflowRequest, route: ClaimedRoute, fence: Fence) {
    try {
      return await createTenantRule({
        listenerArn: route.listenerArn,
        priority: route.priority,
        targetGroupArn: route.targetGroupArn ?? pooledTargetGroup(route.listenerArn),
        route,
        tenantId: request.tenantId,
        ...(request.tier !== undefined ? { tier: request.tier } : {}),
      });
    } catch (error) {
      if (error instanceof RouteCapacityExceededError || error instanceof RouteConflictError) {
        logger.error('Listener refused the tenant rule; releasing the claimed priority', { errorName: error.name });
        try {
          await routeRegistry.releaseRoute(request.tenantId, fence, route, now());
        } catch (releaseError) {
          // The refusal is what the operator must see; a claim left behind is picked up by the redrive.
          logger.warn('Could not release the claimed priority', { error: releaseError as Error });
        }
      }
      throw error;
    }
  }

  /**
   * Another rule holds the claimed priority. Ours (tagged with this tenant) from a run that
   * crashed before recording it: adopt it. Someone else's: give the priority up, reserve it and
   * every other priority foreign rules hold on that listener, and allocate again.
   */
  async function resolvePriorityInUse(
    request: WorkflowRequest,
    route: ClaimedRoute,
    fence: Fence,
  ): Promise<RouteRegistration | undefined> {
    const { tenantId } = request;
    const rules = await listListenerRules(route.listenerArn);
    const holder = rules.find((rule) => rule.priority === route.priority);
    const tags = holder === undefined ? undefined : await ruleTags(holder.ruleArn);
    if (holder === undefined || tags === undefined) {
      // The holder was deleted meanwhile: the next round creates the rule at the same priority.
      logger.info('Rule holding the priority vanished; retrying', { priority: route.priority });
      return undefined;
    }
    if (isTenantRule(tags, tenantId)) {
      await routeRegistry.recordRuleArn(tenantId, fence, holder.ruleArn, now());
      logger.info('Adopted the tenant rule of an earlier run', { ruleArn: holder.ruleArn });
      return registration(route, holder.ruleArn);
    }
    logger.warn('A foreign rule holds the claimed priority; reallocating', {
      ruleArn: holder.ruleArn,
      priority: route.priority,
    });
    // Release before reserving: the reservation is conditional on the priority being free.
    await routeRegistry.releaseRoute(tenantId, fence, route, now());
    await reserveForeignPriorities(route.listenerArn, rules);
    return undefined;
  }

  /**
   * Runs the step: returns the tenant's registration, claiming and creating whatever is missing.
   * A silo tenant's recorded route is returned as it is: its stack may hold the rule by now.
   */
  async function register(input: RegisterRouteInput): Promise<RouteRegistration> {
    validateRouteRequest(input.route);
    const siloTenant = stackOwnsRule(input.isolationModel);
    const fence = fenceOf(input.request, input.redriveCount);
    for (let attempt = 1; attempt <= maxRegisterAttempts; attempt += 1) {
      const tenant = await heldTenant(input.request, fence);
      const recorded = tenant.route;
      const route = recorded ?? (await claimNewRoute(input, fence));
      if (route === undefined) continue;
      if (siloTenant) {
        logger.info(
          recorded === undefined
            ? 'Route priority claimed for the tenant stack'
            : 'Reusing the recorded route priority',
          {
            listenerArn: route.listenerArn,
            priority: route.priority,
          },
        );
        return stackRouteRegistration(route);
      }
      const result = await ensureRule(input, route, fence);
      if (result !== undefined) return result;
    }
    throw new TransientAwsError(
      `Could not register a route for tenant ${input.request.tenantId} in ${maxRegisterAttempts} rounds: ` +
        'concurrent tenants or foreign rules kept taking the free priorities',
    );
  }

  return { register };
}

/** Where the route lives and what selects the tenant, common to both registrations. */
function routeFields(route: ClaimedRoute) {
  return {
    listenerArn: route.listenerArn,
    priority: route.priority,
    style: route.style,
    value: route.value,
    ...(route.headerName !== undefined ? { headerName: route.headerName } : {}),
  };
}

/** A pool tenant's registration: the rule the step created, to the pooled target group. */
function registration(route: ClaimedRoute, ruleArn: string): RouteRegistration {
  return {
    ...routeFields(route),
    ruleArn,
    ...(route.targetGroupArn !== undefined ? { targetGroupArn: route.targetGroupArn } : {}),
    stackParameters: {},
  };
}

/** A silo tenant's registration: the claimed priority, for its stack to create the rule at. */
function stackRouteRegistration(route: ClaimedRoute): RouteRegistration {
  const fields = routeFields(route);
  return { ...fields, stackParameters: routeStackParameters(fields) };
}
