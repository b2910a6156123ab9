/**
 * SetTenantRouteAction (suspend and resume of a pool tenant, ResultPath "$.routeAction"): makes
 * the tenant's listener rule answer the fixed "suspended" response, or forward again to the pooled
 * target group the registry recorded at onboarding.
 *
 * A pool tenant's rule is the orchestrator's own (register-route created it with CreateRule), so
 * ModifyRule is how it changes; a silo tenant's rule belongs to its stack and changes only through
 * UpdateStack (converge-stacks). The lock is proven in a conditional write first, and the step sets
 * the desired action rather than toggling it: a rule that already has it is left alone, so a retry,
 * a redrive or a request for the state the tenant is already in calls no ModifyRule.
 */
import { readRegistryTableName } from '../shared/config/environment.ts';
import { ruleActions, setRuleAction } from '../shared/aws/listener-rules.ts';
import { RouteConflictError } from '../shared/step/errors.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { createRegistry, fenceOf } from '../shared/registry/tenants.ts';
import { parseStepInput, type RouteActionOutput, SetRouteActionInputSchema } from '../shared/step/schemas.ts';
import { desiredRuleAction, ruleHasAction } from './action.ts';

const logger = createLogger('set-route-action');
const registry = createRegistry(readRegistryTableName());

export const handler = stepHandler(logger, async (event: unknown): Promise<RouteActionOutput> => {
  const { request, desired, redriveCount } = parseStepInput(SetRouteActionInputSchema, event, 'SetTenantRouteAction');
  const { tenantId, executionArn } = request;
  appendTenantKeys(logger, { tenantId, executionArn, registrationId: request.registrationId });

  // Proven in a conditional write before touching the load balancer; the record it returns is the route to change.
  const tenant = await registry.holdLock(tenantId, fenceOf(request, redriveCount), new Date().toISOString());
  const ruleArn = tenant.route?.ruleArn;
  const targetGroupArn = tenant.route?.targetGroupArn;
  if (ruleArn === undefined || targetGroupArn === undefined) {
    throw new RouteConflictError(
      `tenant ${tenantId} has no recorded listener rule and target group: only a pool tenant's rule is changed with ModifyRule`,
    );
  }
  const action = desiredRuleAction(desired, targetGroupArn);
  const actions = await ruleActions(ruleArn);
  if (actions === undefined) {
    throw new RouteConflictError(
      `The listener rule ${ruleArn} the registry records for tenant ${tenantId} does not exist`,
    );
  }
  if (ruleHasAction(actions, action)) {
    logger.info('Route already has the desired action', { ruleArn, desired, action: action.type });
    return { changed: false, action: action.type };
  }
  await setRuleAction(ruleArn, action);
  logger.info('Route action set', { ruleArn, desired, action: action.type });
  return { changed: true, action: action.type };
});
