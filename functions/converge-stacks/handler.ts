/**
 * converge-stacks: one look of the stack loop shared by CreateTenantStacks / CheckTenantStacks
 * (desired "present"), DeleteTenantStacks / CheckStackDeletion (desired "absent") and
 * UpdateTenantStacks / CheckStackUpdate (desired "updated": suspend and resume; with each stack's
 * templateUrl, the update workflow's move to another template version).
 * Each call moves every stack toward the desired state and reports whether they all got there.
 * Admission control: a call that would create, update or delete a stack first needs a stack-operation
 * slot (functions/shared/registry/stack-slots.ts); without one it issues nothing and reports `queued`.
 * The slot is freed when the loop ends, ready or failed.
 */
import {
  readCloudFormationRoleArn,
  readDeadlines,
  readEventDrivenWaits,
  readMaxStackOperations,
  readRegistryTableName,
} from '../shared/config/environment.ts';
import { TransientAwsError } from '../shared/step/errors.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { createRegistry, fenceOf } from '../shared/registry/tenants.ts';
import { createStackSlots, slotLeaseSeconds } from '../shared/registry/stack-slots.ts';
import {
  createStack,
  deleteStack,
  describeStack,
  findFirstFailure,
  updateStackParameters,
  type StackRequestContext,
  type StackRequestOutcome,
} from '../shared/aws/stacks.ts';
import {
  ConvergeStacksInputSchema,
  parseStepInput,
  type StackProgress,
  type StackSpec,
} from '../shared/step/schemas.ts';
import {
  assertCreatable,
  assertUpdatable,
  beginCall,
  mergeOutputs,
  needsAttentionError,
  needsSlot,
  nextProgress,
  planConvergence,
  queueTimedOut,
  queueTimeoutError,
  stackFailureError,
  statusOf,
  StackVerdict,
  timeoutError,
  withExtraParameters,
  type StackDecision,
} from './converge.ts';

const logger = createLogger('converge-stacks');
const roleArn = readCloudFormationRoleArn();
const { stackTimeoutSeconds, stackQueueTimeoutSeconds } = readDeadlines();
const maxStackOperations = readMaxStackOperations();
// Checked at cold start like every setting, and read again on each call (readEventDrivenWaits).
readEventDrivenWaits();
const registryTableName = readRegistryTableName();
const slots = createStackSlots(registryTableName, {
  limit: maxStackOperations,
  leaseSeconds: slotLeaseSeconds(stackTimeoutSeconds),
});
const registry = createRegistry(registryTableName);

/** Takes one look at the tenant's stacks, acts on what it sees and returns the loop's progress. */
export const handler = stepHandler(logger, async (event: unknown): Promise<StackProgress> => {
  const input = parseStepInput(ConvergeStacksInputSchema, event, 'converge-stacks');
  const { request, desired } = input;
  appendTenantKeys(logger, { tenantId: request.tenantId, executionArn: request.executionArn });
  const stacks = withExtraParameters(input.stacks, input.extraParameters);
  assertCreatable(desired, stacks);
  assertUpdatable(desired, input.parameterValues);
  // Every look first proves, in a conditional write, that this execution and attempt still hold
  // the tenant: a superseded one stops here, before it creates, deletes or frees anything.
  await registry.holdLock(request.tenantId, fenceOf(request, input.redriveCount), new Date().toISOString());

  const eventDriven = readEventDrivenWaits();
  const attempt = beginCall(input);
  if (attempt.redriven) {
    logger.info('Execution was redriven: starting a new stack attempt', {
      previousRedriveCount: input.progress?.redriveCount,
      redriveCount: attempt.redriveCount,
    });
  }

  const observed = await Promise.all(
    stacks.map(async (spec) => ({
      spec,
      stack: await describeStack(spec.stackName, { updateToken: desired === 'updated' }),
    })),
  );
  const plan = planConvergence(desired, observed, attempt, stackTimeoutSeconds, input.parameterValues);
  const { tenantId } = request;

  switch (plan.outcome) {
    case 'failed': {
      logDecisions(plan.decisions, desired);
      const stackId = plan.decision.stack?.stackId ?? plan.decision.spec.stackName;
      const failure = await findFirstFailure(stackId);
      const error = stackFailureError(plan.decision, failure);
      logger.error('Stack failed in this attempt', { stackName: plan.decision.spec.stackName, reason: error.message });
      throw await releasingSlot(tenantId, error);
    }
    case 'needs-attention':
      logDecisions(plan.decisions, desired);
      throw await releasingSlot(tenantId, needsAttentionError(plan.decision, desired));
    case 'timed-out':
      logDecisions(plan.decisions, desired);
      throw await releasingSlot(tenantId, timeoutError(plan.decisions, stackTimeoutSeconds));
    case 'ready': {
      logDecisions(plan.decisions, desired);
      // A failed release fails the call: the workflow retries it, and a re-run finds the stacks
      // ready again and releases again. Passing on would leave the slot held until its lease ends.
      const released = await slots.release(tenantId);
      if (released.length > 0) logger.info('Stack operation slot released', { slots: released });
      const outputs = desired === 'absent' ? {} : mergeOutputs(plan.decisions);
      const progress = nextProgress(attempt, { ready: true, issuedNow: [], outputs }, stackTimeoutSeconds, eventDriven);
      logger.info('Stacks converged', {
        desired,
        stacks: plan.decisions.length,
        polls: progress.polls,
        elapsedSeconds: progress.elapsedSeconds,
      });
      return progress;
    }
    case 'pending': {
      if (needsSlot(plan.decisions)) {
        const held = await slots.acquire(tenantId, request.executionArn, new Date());
        if (held === undefined) {
          if (queueTimedOut(attempt, stackQueueTimeoutSeconds))
            throw await releasingSlot(tenantId, queueTimeoutError(stackQueueTimeoutSeconds, maxStackOperations));
          const progress = nextProgress(
            attempt,
            { ready: false, issuedNow: [], outputs: {}, queued: true },
            stackTimeoutSeconds,
            eventDriven,
          );
          logger.info('Waiting for a stack operation slot', {
            desired,
            maxStackOperations,
            stacks: plan.decisions.map((d) => ({
              stackName: d.spec.stackName,
              status: statusOf(d),
              action: d.verdict,
            })),
            polls: progress.polls,
            waitSeconds: progress.waitSeconds,
          });
          return progress;
        }
        logger.info('Holding a stack operation slot', { ...held });
      }
      const context: StackRequestContext = {
        executionArn: request.executionArn,
        redriveCount: attempt.redriveCount,
        roleArn,
      };
      const issuedNow: string[] = [];
      for (const decision of plan.decisions) {
        const outcome = await act(decision, context, input.parameterValues).catch(async (error: unknown) => {
          // A refused request fails the execution: free the slot now rather than at report time.
          throw error instanceof TransientAwsError ? error : await releasingSlot(tenantId, error);
        });
        logDecision(decision, desired, outcome);
        if (outcome === 'accepted' || outcome === 'token-reused') issuedNow.push(decision.spec.stackName);
      }
      const progress = nextProgress(
        attempt,
        { ready: false, issuedNow, outputs: {} },
        stackTimeoutSeconds,
        eventDriven,
      );
      logger.info('Stacks not converged yet', {
        desired,
        polls: progress.polls,
        elapsedSeconds: progress.elapsedSeconds,
        waitSeconds: progress.waitSeconds,
      });
      return progress;
    }
  }
});

/**
 * Frees the tenant's slot before the call fails for good, and returns the error to throw.
 * Best effort: a release that fails is logged, never thrown over the real error (the failure
 * reporter releases again, and the lease bounds the rest).
 */
async function releasingSlot(tenantId: string, error: unknown): Promise<unknown> {
  try {
    const released = await slots.release(tenantId);
    if (released.length > 0) logger.info('Stack operation slot released', { slots: released });
  } catch (releaseError) {
    logger.warn('Could not release the stack operation slot', { error: releaseError as Error });
  }
  return error;
}

/** Carries out a create, update or delete verdict; nothing for the others. */
async function act(
  decision: StackDecision,
  context: StackRequestContext,
  parameterValues: Readonly<Record<string, string>> | undefined,
): Promise<StackRequestOutcome | 'no-updates' | undefined> {
  if (decision.verdict === StackVerdict.create) return createStack(creationOf(decision.spec), context);
  if (decision.verdict === StackVerdict.delete) return deleteStack(decision.spec.stackName, context);
  if (decision.verdict === StackVerdict.update) {
    return updateStackParameters(
      {
        stackName: decision.spec.stackName,
        currentKeys: Object.keys(decision.stack?.parameters ?? {}),
        changes: parameterValues ?? {},
        ...(decision.spec.templateUrl !== undefined ? { templateUrl: decision.spec.templateUrl } : {}),
      },
      context,
    );
  }
  return undefined;
}

function creationOf(spec: StackSpec) {
  // assertCreatable has checked templateUrl for every stack of a "present" loop.
  return {
    stackName: spec.stackName,
    templateUrl: spec.templateUrl ?? '',
    parameters: spec.parameters ?? {},
    tags: spec.tags ?? {},
  };
}

function logDecisions(decisions: readonly StackDecision[], desired: string): void {
  for (const decision of decisions) logDecision(decision, desired, undefined);
}

/** One line per stack: what was seen and what was done (parameter names only, never values). */
function logDecision(
  decision: StackDecision,
  desired: string,
  outcome: StackRequestOutcome | 'no-updates' | undefined,
): void {
  logger.info('Stack observed', {
    stackName: decision.spec.stackName,
    desired,
    status: statusOf(decision),
    action: decision.verdict,
    ...(outcome !== undefined ? { requestOutcome: outcome } : {}),
    ...(decision.verdict === StackVerdict.create
      ? { parameterNames: Object.keys(decision.spec.parameters ?? {}) }
      : {}),
  });
}
