/**
 * RegisterTenantRoute (onboarding, ResultPath "$.route", before the tenant stacks): claims the
 * tenant's listener-rule priority. Pool tenants get their rule to the pooled target group here;
 * silo tenants get `stackParameters`, from which their stack creates the rule. Idempotent: a
 * re-run returns the recorded route without writes.
 */
import { readRegistryTableName, readRouteListeners } from '../shared/config/environment.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { createRegistry } from '../shared/registry/tenants.ts';
import { createRouteRegistry } from '../shared/registry/route-priorities.ts';
import { parseStepInput, RegisterRouteInputSchema, type RouteRegistration } from '../shared/step/schemas.ts';
import { createRouteRegistrar } from './register.ts';

const logger = createLogger('register-route');
const tableName = readRegistryTableName();
const registrar = createRouteRegistrar({
  registry: createRegistry(tableName),
  routeRegistry: createRouteRegistry(tableName),
  listeners: readRouteListeners(),
  logger,
  now: () => new Date().toISOString(),
  // Tenants onboarding at the same time spread over the free priorities instead of all racing for the lowest.
  pickPriority: (count) => Math.floor(Math.random() * count),
});

export const handler = stepHandler(logger, async (event: unknown): Promise<RouteRegistration> => {
  const input = parseStepInput(RegisterRouteInputSchema, event, 'RegisterTenantRoute');
  appendTenantKeys(logger, {
    tenantId: input.request.tenantId,
    executionArn: input.request.executionArn,
    registrationId: input.request.registrationId,
  });
  return registrar.register(input);
});
