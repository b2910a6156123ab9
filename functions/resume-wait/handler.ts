/**
 * The resumer: the target of the rules on CloudFormation's stack status changes and ECS's service
 * events (events/cloud-events.ts). It finds the tenant whose waiting step watches the stack or
 * service, looks at everything that step watches (an event is a hint, never the truth: events
 * come late, twice or out of order), and when the wait is over answers the step's task token.
 *
 * It changes no resource, so it needs no lock: a token of a superseded or redriven attempt is
 * refused by Step Functions (a `closed` answer), and a newer attempt has stored its own token.
 * Throttling and 5xx fail the invocation, which Lambda retries (asynchronous invocation); the
 * waiting step's fallback look bounds what a lost event costs.
 */
import { settledResourceOf } from '../../events/cloud-events.ts';
import { readDeadlines, readRegistryTableName } from '../shared/config/environment.ts';
import { createRegistry } from '../shared/registry/tenants.ts';
import { createWaits, serviceWatchKey, stackWatchKey, watches } from '../shared/registry/waits.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { answerTask, lookAt } from '../await-change/look.ts';

const logger = createLogger('resume-wait');
const { servicesTimeoutSeconds } = readDeadlines();
const tableName = readRegistryTableName();
const registry = createRegistry(tableName);
const waits = createWaits(tableName, registry);

export type ResumeOutcome = 'ignored' | 'no-wait' | 'still-waiting' | 'resumed' | 'failed' | 'closed';

export const handler = stepHandler(logger, async (event: unknown): Promise<{ outcome: ResumeOutcome }> => {
  const resource = settledResourceOf(event);
  if (resource === undefined) {
    logger.warn('Event ignored: not a stack status change or service event the resumer reads', {
      source: (event as { source?: unknown } | null)?.source,
    });
    return { outcome: 'ignored' };
  }
  const key =
    resource.kind === 'stack'
      ? stackWatchKey(resource.stackName)
      : serviceWatchKey(resource.clusterName, resource.serviceName);
  const tenantId = await waits.tenantOf(key);
  const record = tenantId === undefined ? undefined : await registry.getTenant(tenantId);
  const wait = record?.wait;
  if (tenantId === undefined || wait === undefined || !watches(wait, key)) {
    logger.debug('No waiting step watches this resource', { resource });
    return { outcome: 'no-wait' };
  }
  appendTenantKeys(logger, { tenantId, executionArn: wait.executionArn });
  const look = await lookAt(wait, servicesTimeoutSeconds, 'event');
  if (!look.over) {
    logger.info('Event seen; the wait is not over yet', { resource });
    return { outcome: 'still-waiting' };
  }
  const answer = await answerTask(wait.taskToken, look);
  await waits.clear(tenantId, wait.taskToken);
  const outcome: ResumeOutcome = answer === 'closed' ? 'closed' : 'failure' in look ? 'failed' : 'resumed';
  logger.info('Waiting step answered', { resource, outcome });
  return { outcome };
});
