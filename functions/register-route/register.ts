/**
 * Registers a tenant's listener rule, converging from wherever a previous run stopped:
 * nothing claimed, a priority claimed but no rule, a rule created but not recorded, or done.
 *
 * The priority is claimed in the registry first (a conditional write, so two tenants never get
 * the same one) and the rule created second; the route recorded on the tenant is the memory
 * that lets a re-run or redrive pick up the claim instead of allocating again.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RouteListener } from '../shared/config.ts';
import { LockLostError, RouteCapacityExceededError, RouteConflictError, TransientAwsError } from '../shared/errors.ts';
import type { Registry, TenantRecord } from '../shared/registry.ts';
import { maxRulePriority, type RouteRegistry } from '../shared/registry-routes.ts';
import { createTenantRule, isTenantRule, listListenerRules, ruleExists, ruleTags } from '../shared/routes.ts';
import type { RegisterRouteInputSchema, RouteRegistration, WorkflowRequest } from '../shared/steps.ts';
import { TemplateOutput } from '../shared/template-parameters.ts';
import type { z } from 'zod';
import { allocateRouteSlot, capacityExceededMessage, routeTargetGroup, unregisteredPriorities, validateRouteRequest } from './allocate.ts';

export type RegisterRouteInput = z.infer<typeof RegisterRouteInputSchema>;
type ClaimedRoute = NonNullable<TenantRecord['route']>;

/**
 * Rounds of claim-and-create per invocation. Each lost race or foreign rule costs one; past
 * this the step fails with TransientAwsError and the workflow retries it later, by which time
 * the registry knows the competitors' claims and the foreign priorities.
 */
export const maxRegisterAttempts = 10;

export interface RouteRegistrarDependencies {
  readonly registry: Pick<Registry, 'getTenant'>;
  readonly routeRegistry: RouteRegistry;
  /** Listeners in the order they are filled. */
  readonly listeners: readonly RouteListener[];
  readonly logger: Logger;
  /** ISO-8601 timestamp for registry writes. */
  readonly now: () => string;
}

/** Creates the register-route step's core, bound to its registry, listeners and logger. */
export function createRouteRegistrar(deps: RouteRegistrarDependencies) {
  const { registry, routeRegistry, listeners, logger, now } = deps;

  /** The tenant's record, provided this execution still holds its lock. */
  async function heldTenant(request: WorkflowRequest): Promise<TenantRecord> {
    const tenant = await registry.getTenant(request.tenantId);
    if (tenant?.lock?.executionArn !== request.executionArn) {
      throw new LockLostError(`Execution ${request.executionArn} no longer holds the lock of tenant ${request.tenantId}`);
    }
    return tenant;
  }

  /** Allocates a slot and claims it; undefined when the claim lost (re-read and try again). */
  async function claimNewRoute(input: RegisterRouteInput): Promise<ClaimedRoute | undefined> {
    const { tenantId, executionArn } = input.request;
    const usage = await Promise.all(
      listeners.map(async (listener) => ({
        listenerArn: listener.listenerArn,
        capacity: listener.capacity,
        taken: await routeRegistry.takenPriorities(listener.listenerArn),
      })),
    );
    const slot = allocateRouteSlot(usage, maxRulePriority);
    if (slot === undefined) throw new RouteCapacityExceededError(capacityExceededMessage(usage));
    const listener = listeners.find((candidate) => candidate.listenerArn === slot.listenerArn);
    if (listener === undefined) throw new Error(`Allocated listener ${slot.listenerArn} is not configured`);
    const route: ClaimedRoute = {
      listenerArn: slot.listenerArn,
      priority: slot.priority,
      targetGroupArn: routeTargetGroup(input.isolationModel, tenantTargetGroup(input), listener.pooledTargetGroupArn),
      style: input.route.style,
      value: input.route.value,
      ...(input.route.headerName !== undefined ? { headerName: input.route.headerName } : {}),
    };
    const claim = await routeRegistry.claimPriority(tenantId, executionArn, route, now());
    logger.info('Route priority claim', { claim, listenerArn: route.listenerArn, priority: route.priority });
    return claim === 'claimed' ? route : undefined;
  }

  /** Creates the rule of a claimed route unless it exists; undefined when the caller must start over. */
  async function ensureRule(input: RegisterRouteInput, route: ClaimedRoute): Promise<RouteRegistration | undefined> {
    if (route.ruleArn !== undefined && (await ruleExists(route.ruleArn))) {
      logger.info('Route already registered', { ruleArn: route.ruleArn });
      return registration(route, route.ruleArn);
    }
    const created = await createRuleOrRelease(input.request, route);
    if (created.outcome === 'created') {
      await routeRegistry.recordRuleArn(input.request.tenantId, input.request.executionArn, created.ruleArn, now());
      logger.info('Route rule created', { ruleArn: created.ruleArn, listenerArn: route.listenerArn, priority: route.priority });
      return registration(route, created.ruleArn);
    }
    return resolvePriorityInUse(input.request, route);
  }

  /**
   * Creates the rule. On a capacity or conflict error the claim is released first, so a redrive
   * after the operator's fix allocates again instead of retrying the same listener.
   */
  async function createRuleOrRelease(request: WorkflowRequest, route: ClaimedRoute) {
    try {
      return await createTenantRule({
        listenerArn: route.listenerArn,
        priority: route.priority,
        targetGroupArn: route.targetGroupArn,
        route,
        tenantId: request.tenantId,
        ...(request.tier !== undefined ? { tier: request.tier } : {}),
      });
    } catch (error) {
      if (error instanceof RouteCapacityExceededError || error instanceof RouteConflictError) {
        logger.error('Listener refused the tenant rule; releasing the claimed priority', { errorName: error.name });
        try {
          await routeRegistry.releaseRoute(request.tenantId, request.executionArn, route, now());
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
  async function resolvePriorityInUse(request: WorkflowRequest, route: ClaimedRoute): Promise<RouteRegistration | undefined> {
    const { tenantId, executionArn } = request;
    const rules = await listListenerRules(route.listenerArn);
    const holder = rules.find((rule) => rule.priority === route.priority);
    const tags = holder === undefined ? undefined : await ruleTags(holder.ruleArn);
    if (holder === undefined || tags === undefined) {
      // The holder was deleted meanwhile: the next round creates the rule at the same priority.
      logger.info('Rule holding the priority vanished; retrying', { priority: route.priority });
      return undefined;
    }
    if (isTenantRule(tags, tenantId)) {
      await routeRegistry.recordRuleArn(tenantId, executionArn, holder.ruleArn, now());
      logger.info('Adopted the tenant rule of an earlier run', { ruleArn: holder.ruleArn });
      return registration(route, holder.ruleArn);
    }
    logger.warn('A foreign rule holds the claimed priority; reallocating', { ruleArn: holder.ruleArn, priority: route.priority });
    // Release before reserving: the reservation is conditional on the priority being free.
    await routeRegistry.releaseRoute(tenantId, executionArn, route, now());
    const taken = await routeRegistry.takenPriorities(route.listenerArn);
    const foreign = unregisteredPriorities(rules.map((rule) => rule.priority), taken);
    for (const priority of foreign) await routeRegistry.reserveForeignPriority(route.listenerArn, priority, now());
    logger.info('Reserved priorities held by foreign rules', { listenerArn: route.listenerArn, priorities: foreign });
    return undefined;
  }

  /** Runs the step: returns the tenant's registration, creating whatever is missing. */
  async function register(input: RegisterRouteInput): Promise<RouteRegistration> {
    validateRouteRequest({ route: input.route, isolationModel: input.isolationModel, targetGroupArn: tenantTargetGroup(input) });
    for (let attempt = 1; attempt <= maxRegisterAttempts; attempt += 1) {
      const tenant = await heldTenant(input.request);
      const route = tenant.route ?? (await claimNewRoute(input));
      if (route === undefined) continue;
      const result = await ensureRule(input, route);
      if (result !== undefined) return result;
    }
    throw new TransientAwsError(
      `Could not register a route for tenant ${input.request.tenantId} in ${maxRegisterAttempts} rounds: ` +
        'concurrent tenants or foreign rules kept taking the free priorities',
    );
  }

  return { register };
}

/** The silo tenant's own target group, from its stack outputs. */
function tenantTargetGroup(input: RegisterRouteInput): string | undefined {
  return input.stackOutputs[TemplateOutput.targetGroupArn];
}

function registration(route: ClaimedRoute, ruleArn: string): RouteRegistration {
  return {
    listenerArn: route.listenerArn,
    priority: route.priority,
    ruleArn,
    targetGroupArn: route.targetGroupArn,
    style: route.style,
    value: route.value,
    ...(route.headerName !== undefined ? { headerName: route.headerName } : {}),
  };
}
