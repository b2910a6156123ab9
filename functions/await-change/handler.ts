/**
 * The Await* states: a `.waitForTaskToken` Task between two looks of a stack or services loop.
 * It stores its task token with the tenant's operation, in the conditional write that proves the
 * lock (a superseded execution stops here), and then looks once: CloudFormation waits for ECS to
 * settle, so the event a wait is for can come before the token is stored. When the look finds the
 * wait over, it answers the task itself; otherwise the resumer (functions/resume-wait) answers it
 * on the event, or the state's timeout (the loop's slow fallback look) ends it.
 *
 * A loop queued for a stack-operation slot watches nothing CloudFormation will report on: it
 * stores no token, and the state's timeout (the polling schedule then) is its next look.
 */
import { readDeadlines, readRegistryTableName } from '../shared/config/environment.ts';
import { splitServiceNames } from '../check-services/stability.ts';
import { createRegistry, fenceOf } from '../shared/registry/tenants.ts';
import { createWaits, type WaitWatch } from '../shared/registry/waits.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { AwaitChangeInputSchema, parseStepInput } from '../shared/step/schemas.ts';
import { answerTask, lookAt } from './look.ts';

const logger = createLogger('await-change');
const { servicesTimeoutSeconds } = readDeadlines();
const tableName = readRegistryTableName();
const registry = createRegistry(tableName);
const waits = createWaits(tableName, registry);

/** What the invocation did (Step Functions discards a callback task's invocation result). */
export interface AwaitChangeOutput {
  readonly stored: boolean;
  readonly answered: 'resumed' | 'failed' | 'closed' | 'waiting';
}

export const handler = stepHandler(logger, async (event: unknown): Promise<AwaitChangeOutput> => {
  const input = parseStepInput(AwaitChangeInputSchema, event, 'await-change');
  const { request, taskToken } = input;
  appendTenantKeys(logger, { tenantId: request.tenantId, executionArn: request.executionArn });
  if (input.kind === 'stacks' && input.progress.queued === true) {
    logger.info('Waiting for a stack operation slot: the next look comes at the state timeout', {
      waitSeconds: input.progress.waitSeconds,
    });
    return { stored: false, answered: 'waiting' };
  }
  const watch: WaitWatch =
    input.kind === 'stacks'
      ? { kind: 'stacks', desired: input.desired, stackNames: input.stacks.map((stack) => stack.stackName) }
      : {
          kind: 'services',
          clusterName: input.clusterName,
          serviceNames: splitServiceNames(input.serviceNames),
        };
  const fence = fenceOf(request, input.redriveCount);
  const progress = input.kind === 'services' ? { progress: input.progress } : {};
  await waits.store(request.tenantId, fence, { taskToken, watch, ...progress }, new Date());
  const look = await lookAt({ watch, attempt: fence.attempt, ...progress }, servicesTimeoutSeconds, 'look');
  if (!look.over) {
    logger.info('Waiting for CloudFormation or ECS to report', {
      watch: watch.kind,
      fallbackSeconds: input.progress.waitSeconds,
    });
    return { stored: true, answered: 'waiting' };
  }
  const answer = await answerTask(taskToken, look);
  await waits.clear(request.tenantId, taskToken);
  logger.info('Wait over at the first look', { watch: watch.kind, answer, failed: 'failure' in look });
  return { stored: true, answered: 'failure' in look && answer === 'resumed' ? 'failed' : answer };
});
