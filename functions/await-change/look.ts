/**
 * One look at what a wait watches, shared by the waiting step (right after it stores its token) and
 * the resumer (on each event): whether the wait is over, and what the waiting task answers.
 *
 * - Stacks: over when no watched stack has an operation under way. The loop's next look
 *   (converge-stacks) decides what the stacks' state means (ready, failed, next request), so the
 *   wait only ends; its output is discarded (ResultPath null).
 * - Services: over when every service is stable; the answer is then the services loop's next
 *   progress, ready. A deployment failed by its circuit breaker fails the task with the error the
 *   services loop would raise (ServicesNotStable). Anything else: not over; the next event or the
 *   fallback look decides.
 */
import { describeStack } from '../shared/aws/stacks.ts';
import { failTask, resumeTask, type TaskAnswer } from '../shared/aws/task-tokens.ts';
import { describeServices } from '../shared/aws/services.ts';
import { ServicesNotStableError } from '../shared/step/errors.ts';
import type { ServiceProgress } from '../shared/step/schemas.ts';
import type { TenantWait } from '../shared/registry/waits.ts';
import { assessServices, isServiceStable } from '../check-services/stability.ts';

export type LookResult =
  | { readonly over: false }
  | { readonly over: true; readonly output: unknown }
  | { readonly over: true; readonly failure: { readonly error: string; readonly cause: string } };

/** A stack status with an operation under way (REVIEW_IN_PROGRESS waits for nobody: at rest). */
export function underWay(status: string | undefined): boolean {
  return status?.endsWith('_IN_PROGRESS') === true && status !== 'REVIEW_IN_PROGRESS';
}

/** Looks once at the wait's stacks or services. */
export async function lookAt(
  wait: Pick<TenantWait, 'watch' | 'progress' | 'attempt'>,
  servicesTimeoutSeconds: number,
  resumedBy: 'look' | 'event',
): Promise<LookResult> {
  const { watch } = wait;
  if (watch.kind === 'stacks') {
    for (const stackName of watch.stackNames) {
      const stack = await describeStack(stackName);
      if (underWay(stack?.status)) return { over: false };
    }
    return { over: true, output: { resumedBy } };
  }
  const services = await describeServices(watch.clusterName, watch.serviceNames);
  const progress = wait.progress as ServiceProgress | undefined;
  if (services.some((service) => service.rolloutState === 'FAILED')) {
    try {
      assessServices(watch.clusterName, services, progress, servicesTimeoutSeconds, wait.attempt);
    } catch (error) {
      if (error instanceof ServicesNotStableError) {
        return { over: true, failure: { error: error.name, cause: error.message } };
      }
      throw error;
    }
  }
  if (!services.every(isServiceStable)) return { over: false };
  return {
    over: true,
    output: assessServices(watch.clusterName, services, progress, servicesTimeoutSeconds, wait.attempt),
  };
}

/** Answers the waiting task as a look that found the wait over says: its output, or its failure. */
export function answerTask(
  taskToken: string,
  look: Exclude<LookResult, { readonly over: false }>,
): Promise<TaskAnswer> {
  return 'failure' in look
    ? failTask(taskToken, look.failure.error, look.failure.cause)
    : resumeTask(taskToken, look.output);
}
