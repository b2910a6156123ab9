/**
 * VerifyTenantServices / RecheckTenantServices: one look at the tenant's ECS services per call.
 * The workflow loops (Choice on `ready`, Wait `waitSeconds`) until they are stable; this step
 * fails the execution when a deployment's circuit breaker trips or the deadline passes. A redrive
 * (a larger `$$.Execution.RedriveCount` than the progress's) starts a fresh budget.
 */
import { readDeadlines, readEventDrivenWaits, readRegistryTableName } from '../shared/config/environment.ts';
import { createRegistry, fenceOf } from '../shared/registry/tenants.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { describeServices } from '../shared/aws/services.ts';
import { CheckServicesInputSchema, parseStepInput, type ServiceProgress } from '../shared/step/schemas.ts';
import { assessServices, continuedProgress, isServiceStable, splitServiceNames } from './stability.ts';

const logger = createLogger('check-services');
const { servicesTimeoutSeconds } = readDeadlines();
// Checked at cold start like every setting, and read again on each call (readEventDrivenWaits).
readEventDrivenWaits();
const registry = createRegistry(readRegistryTableName());

export const handler = stepHandler(logger, async (event: unknown): Promise<ServiceProgress> => {
  const input = parseStepInput(CheckServicesInputSchema, event, 'check-services');
  const { request } = input;
  appendTenantKeys(logger, {
    tenantId: request.tenantId,
    executionArn: request.executionArn,
    registrationId: request.registrationId,
  });

  // A superseded execution stops here, before it waits any longer on services it no longer owns.
  await registry.holdLock(request.tenantId, fenceOf(request, input.redriveCount), new Date().toISOString());
  const serviceNames = splitServiceNames(input.serviceNames);
  const services = await describeServices(input.clusterName, serviceNames);
  logger.info('Services described', {
    clusterName: input.clusterName,
    services: services.map((service) => ({
      serviceName: service.serviceName,
      status: service.status,
      runningCount: service.runningCount,
      desiredCount: service.desiredCount,
      rolloutState: service.rolloutState,
      stable: isServiceStable(service),
    })),
  });

  const redriveCount = input.redriveCount ?? 0;
  if (input.progress !== undefined && continuedProgress(input.progress, redriveCount) === undefined) {
    logger.info('Execution was redriven: starting a new service budget', {
      previousRedriveCount: input.progress.redriveCount ?? 0,
      redriveCount,
    });
  }
  const progress = assessServices(
    input.clusterName,
    services,
    input.progress,
    servicesTimeoutSeconds,
    redriveCount,
    readEventDrivenWaits(),
  );
  logger.info(progress.ready ? 'Services stable' : 'Services not stable yet; waiting', { progress });
  return progress;
});
