/**
 * RemoveTenantRoute (offboarding, ResultPath "$.routeRemoval"): deletes the tenant's listener
 * rule and frees its priority. Idempotent: a rule already gone is fine, and once the route is
 * released a re-run finds nothing to remove.
 */
import { readRegistryTableName } from '../shared/config.ts';
import { LockLostError } from '../shared/errors.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/handler.ts';
import { createRegistry } from '../shared/registry.ts';
import { createRouteRegistry } from '../shared/registry-routes.ts';
import { deleteRule, findRuleAtPriority, isTenantRule } from '../shared/routes.ts';
import { parseStepInput, RemoveRouteInputSchema, type RouteRemoval } from '../shared/steps.ts';

const logger = createLogger('remove-route');
const tableName = readRegistryTableName();
const registry = createRegistry(tableName);
const routeRegistry = createRouteRegistry(tableName);

export const handler = stepHandler(logger, async (event: unknown): Promise<RouteRemoval> => {
  const { request } = parseStepInput(RemoveRouteInputSchema, event, 'RemoveTenantRoute');
  const { tenantId, executionArn } = request;
  appendTenantKeys(logger, { tenantId, executionArn, registrationId: request.registrationId });

  const tenant = await registry.getTenant(tenantId);
  if (tenant?.lock?.executionArn !== executionArn) {
    // Checked before touching the load balancer: another operation may own the route now.
    throw new LockLostError(`Execution ${executionArn} no longer holds the lock of tenant ${tenantId}`);
  }
  const route = tenant.route;
  if (route === undefined) {
    logger.info('Tenant has no route');
    return { removed: false };
  }

  let ruleArn = route.ruleArn;
  if (ruleArn === undefined) {
    // The priority was claimed but the rule never recorded: a rule may still exist from a crashed run.
    const holder = await findRuleAtPriority(route.listenerArn, route.priority);
    ruleArn = holder !== undefined && isTenantRule(holder.tags, tenantId) ? holder.ruleArn : undefined;
  }
  if (ruleArn !== undefined) {
    const deleted = await deleteRule(ruleArn);
    logger.info(deleted ? 'Route rule deleted' : 'Route rule was already gone', { ruleArn });
  }

  await routeRegistry.releaseRoute(tenantId, executionArn, route, new Date().toISOString());
  logger.info('Route released', { listenerArn: route.listenerArn, priority: route.priority });
  return { removed: true };
});
