/**
 * The decisions of the converge-stacks loop, free of I/O: what each stack's status means for the
 * desired state, when the loop is done, stuck or out of time, and how long to wait next.
 *
 * History budget: one loop pass is a Task (5 events with scheduling), a Choice (2) and a Wait (2),
 * about 9 events. Looks come at 0, 30 and 75 s, then every 60 s, so a one-hour stack takes
 * 3 + ceil((3600 - 75) / 60) = 62 passes ≈ 560 events: about 2% of Step Functions' 25,000-event
 * limit, leaving the rest of the workflow (and redrives) ample room.
 *
 * Cost: each pass is three state transitions. Tenant stacks take minutes (ECS services wait for
 * steady state), so looking sooner than 30 s only buys transitions: a 6-minute stack takes 8
 * looks, where waits growing the same way from 10 s would take 10, which keeps a silo onboarding
 * under $0.001 of orchestration.
 */
import {
  InvalidStepInputError,
  StackCreationFailedError,
  StackDeletionFailedError,
  StackTimeoutError,
  StackUpdateFailedError,
} from '../shared/step/errors.ts';
import { attemptTagKey, attemptTagValue, clientRequestToken } from '../shared/aws/stack-identity.ts';
import type { ObservedStack } from '../shared/aws/stacks.ts';
import type { ConvergeStacksInput, StackProgress, StackSpec } from '../shared/step/schemas.ts';

/** Whether the loop wants the stacks to exist (onboarding), to be gone (offboarding), or to have new parameter values (suspend, resume). */
export type DesiredState = ConvergeStacksInput['desired'];

/** The longest wait between two looks, in seconds. */
const maxWaitSeconds = 60;

/** The Wait state's seconds after `polls` earlier looks: 30, 45, then 60 from then on. */
export function nextWaitSeconds(polls: number): number {
  return Math.min(maxWaitSeconds, Math.round(30 * 1.5 ** polls));
}

/**
 * With event-driven waits, the seconds before the fallback look: CloudFormation's status change
 * event ends the wait (functions/resume-wait), so this look only bounds what a lost event costs.
 * Longer than a tenant stack usually takes (4 to 6 minutes), so it rarely fires and adds no
 * transitions; a stack that takes longer is looked at every 10 minutes.
 */
export const stackFallbackSeconds = 600;

/** Where this call stands within its attempt, derived from the previous call's output. */
export interface AttemptState {
  /** The execution this attempt belongs to; with redriveCount, the attempt's identity. */
  readonly executionArn: string;
  /** Looks taken before this call in this attempt. */
  readonly polls: number;
  readonly elapsedSeconds: number;
  /** Seconds waited for a stack-operation slot before this call (not stack time). */
  readonly queuedSeconds: number;
  readonly redriveCount: number;
  /**
   * Stacks this attempt's calls that returned asked CloudFormation to create or delete. Not the
   * whole truth (a call whose output was lost is missing): see {@link ownedByThisAttempt}.
   */
  readonly issued: readonly string[];
  /** True when the previous progress belonged to an attempt before a redrive. */
  readonly redriven: boolean;
}

/**
 * Starts the first call of a loop, continues a loop, or starts over after a redrive: a redriven
 * execution re-runs the failed state with its old input (old progress) but a larger redriveCount,
 * and the new attempt must not count the failed attempt's stacks as its own.
 */
export function beginCall(
  input: Pick<ConvergeStacksInput, 'progress' | 'redriveCount'> & {
    readonly request: { readonly executionArn: string };
  },
): AttemptState {
  const previous = input.progress;
  const { executionArn } = input.request;
  if (previous === undefined) {
    return {
      executionArn,
      polls: 0,
      elapsedSeconds: 0,
      queuedSeconds: 0,
      redriveCount: input.redriveCount,
      issued: [],
      redriven: false,
    };
  }
  if (previous.redriveCount < input.redriveCount) {
    return {
      executionArn,
      polls: 0,
      elapsedSeconds: 0,
      queuedSeconds: 0,
      redriveCount: input.redriveCount,
      issued: [],
      redriven: true,
    };
  }
  return {
    executionArn,
    polls: previous.polls,
    // A wait spent queued for a stack-operation slot is not CloudFormation's time: the stack
    // deadline does not count it; the queue deadline does (see queueTimedOut).
    elapsedSeconds: previous.elapsedSeconds + (previous.queued === true ? 0 : previous.waitSeconds),
    queuedSeconds: (previous.queuedSeconds ?? 0) + (previous.queued === true ? previous.waitSeconds : 0),
    redriveCount: previous.redriveCount,
    issued: previous.issued,
    redriven: false,
  };
}

/** What to do about one stack on this call. */
export const StackVerdict = {
  /** In the desired state. */
  settled: 'settled',
  /** CloudFormation is working on it; look again later. */
  waiting: 'waiting',
  /** Ask CloudFormation to create it. */
  create: 'create',
  /** Ask CloudFormation to delete it. */
  delete: 'delete',
  /** Ask CloudFormation to update its parameters. */
  update: 'update',
  /** This attempt's update rolled back (UPDATE_ROLLBACK_COMPLETE), or its rollback failed (UPDATE_ROLLBACK_FAILED). */
  updateFailed: 'update-failed',
  /** This attempt's create failed. */
  creationFailed: 'creation-failed',
  /** This attempt's delete failed. */
  deletionFailed: 'deletion-failed',
  /** A state the loop cannot repair. */
  needsAttention: 'needs-attention',
} as const;
export type StackVerdict = (typeof StackVerdict)[keyof typeof StackVerdict];

const completeStatuses = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);
const failedCreateStatuses = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED']);

/**
 * Whether the stack's latest create or delete was asked for by this attempt, which makes its
 * failure this attempt's to report; an earlier attempt's failure is cleared away and tried again.
 *
 * The answer comes from CloudFormation, which keeps it durably, rather than from `issued` in the
 * progress: a Lambda retry (after a timeout, or an output Step Functions never received) runs with
 * the progress from before the request, so `issued` misses it. Taken for the own-ness of a failed
 * create, that would delete this attempt's rolled-back stack and create it again with the same
 * token, which CloudFormation refuses for good (TokenAlreadyExistsException), until the deadline.
 * - A failed create: the attempt tag CreateStack set ({@link attemptTagKey}; stacks.ts).
 * - A failed delete: the tag names who created the stack, not who deleted it, so the delete's
 *   ClientRequestToken is read from its events instead (stacks.ts, for DELETE_FAILED stacks only).
 *   Keeping `issued` for deletes would miss a lost delete the same way, and the loop would then
 *   delete again with the same token, refused, and report a look late; the events cost one
 *   DescribeStackEvents per look at a DELETE_FAILED stack, a rare state that ends the loop.
 * `issued` stays the fallback where CloudFormation has no answer: a stack created by the previous
 * release (no tag) whose loop continues after a deploy, and a delete whose events name no token.
 */
export function ownedByThisAttempt(stack: ObservedStack, attempt: AttemptState): boolean {
  const issued = attempt.issued.includes(stack.stackName);
  if (rolledBackUpdate.has(stack.status)) {
    // An update's token is in its events (as a delete's); the attempt tag names who created the stack.
    if (stack.updateRequestToken === undefined) return issued;
    return (
      stack.updateRequestToken ===
      clientRequestToken('update', attempt.executionArn, attempt.redriveCount, stack.stackName)
    );
  }
  if (stack.status === 'DELETE_FAILED') {
    if (stack.deleteRequestToken === undefined) return issued;
    return (
      stack.deleteRequestToken ===
      clientRequestToken('delete', attempt.executionArn, attempt.redriveCount, stack.stackName)
    );
  }
  const tag = stack.tags[attemptTagKey];
  if (tag === undefined) return issued;
  return tag === attemptTagValue(attempt.executionArn, attempt.redriveCount);
}

/** The statuses of a stack whose latest update failed: rolled back, or stuck in a failed rollback. */
const rolledBackUpdate: ReadonlySet<string> = new Set(['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED']);

/** True when the stack has every value of `parameterValues`. */
export function hasParameterValues(
  stack: ObservedStack,
  parameterValues: Readonly<Record<string, string>> | undefined,
): boolean {
  return Object.entries(parameterValues ?? {}).every(([key, value]) => stack.parameters?.[key] === value);
}

/**
 * The verdict for one stack of an `updated` loop (suspend, resume): a stack at rest with the
 * values is settled, whatever its status says of earlier updates; one at rest without them is
 * updated, unless this attempt's own update just rolled back (a failure to report). A stack stuck
 * in UPDATE_ROLLBACK_FAILED is always reported: it takes ContinueUpdateRollback or an operator,
 * never a retry. A missing or never-created stack is not the loop's to repair.
 */
function decideUpdate(
  stack: ObservedStack | undefined,
  ownedByThisAttempt: boolean,
  parameterValues: Readonly<Record<string, string>> | undefined,
): StackVerdict {
  const status = stack?.status ?? 'DELETE_COMPLETE';
  if (stack === undefined || status === 'DELETE_COMPLETE') return StackVerdict.needsAttention;
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') return StackVerdict.waiting;
  if (status === 'UPDATE_ROLLBACK_FAILED')
    return ownedByThisAttempt ? StackVerdict.updateFailed : StackVerdict.needsAttention;
  if (!completeStatuses.has(status)) return StackVerdict.needsAttention;
  if (hasParameterValues(stack, parameterValues)) return StackVerdict.settled;
  if (status === 'UPDATE_ROLLBACK_COMPLETE' && ownedByThisAttempt) return StackVerdict.updateFailed;
  return StackVerdict.update;
}

/**
 * The verdict for one stack. `ownedByThisAttempt` tells a failure of this attempt's own request
 * (reported) from one left behind by an earlier attempt (cleared away and tried again).
 */
export function decideStack(
  desired: DesiredState,
  stack: ObservedStack | undefined,
  ownedByThisAttempt: boolean,
  parameterValues?: Readonly<Record<string, string>>,
): StackVerdict {
  if (desired === 'updated') return decideUpdate(stack, ownedByThisAttempt, parameterValues);
  const status = stack?.status ?? 'DELETE_COMPLETE';
  if (desired === 'present') {
    if (status === 'DELETE_COMPLETE') return StackVerdict.create;
    if (status.endsWith('_IN_PROGRESS')) return StackVerdict.waiting;
    if (completeStatuses.has(status)) return StackVerdict.settled;
    // A rolled-back stack cannot be updated, only deleted; a later call then finds it gone and creates it.
    if (failedCreateStatuses.has(status)) return ownedByThisAttempt ? StackVerdict.creationFailed : StackVerdict.delete;
    if (status === 'DELETE_FAILED') return ownedByThisAttempt ? StackVerdict.deletionFailed : StackVerdict.delete;
    return StackVerdict.needsAttention;
  }
  if (status === 'DELETE_COMPLETE') return StackVerdict.settled;
  if (status === 'DELETE_FAILED') return ownedByThisAttempt ? StackVerdict.deletionFailed : StackVerdict.delete;
  // REVIEW_IN_PROGRESS is not work under way: the stack waits for a change set nobody will run,
  // so waiting would only end at the deadline. Deleting it is what offboarding wants anyway.
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') return StackVerdict.waiting;
  return StackVerdict.delete;
}

/** One stack's verdict, with what was seen ("not found" when there is no stack). */
export interface StackDecision {
  readonly spec: StackSpec;
  readonly stack: ObservedStack | undefined;
  readonly verdict: StackVerdict;
}

/** What the whole call should do. */
export type ConvergencePlan =
  | { readonly outcome: 'failed'; readonly decision: StackDecision; readonly decisions: readonly StackDecision[] }
  | {
      readonly outcome: 'needs-attention';
      readonly decision: StackDecision;
      readonly decisions: readonly StackDecision[];
    }
  | { readonly outcome: 'ready'; readonly decisions: readonly StackDecision[] }
  | { readonly outcome: 'timed-out'; readonly decisions: readonly StackDecision[] }
  | { readonly outcome: 'pending'; readonly decisions: readonly StackDecision[] };

/**
 * Decides the call from every stack's observation. A failure outranks the deadline (its reason is
 * the more useful report), and a call past the deadline starts no new work.
 */
export function planConvergence(
  desired: DesiredState,
  observed: readonly { readonly spec: StackSpec; readonly stack: ObservedStack | undefined }[],
  attempt: AttemptState,
  timeoutSeconds: number,
  parameterValues?: Readonly<Record<string, string>>,
): ConvergencePlan {
  const decisions = observed.map(({ spec, stack }) => ({
    spec,
    stack,
    verdict: decideStack(desired, stack, stack !== undefined && ownedByThisAttempt(stack, attempt), parameterValues),
  }));
  const failed = decisions.find(
    (d) =>
      d.verdict === StackVerdict.creationFailed ||
      d.verdict === StackVerdict.deletionFailed ||
      d.verdict === StackVerdict.updateFailed,
  );
  if (failed) return { outcome: 'failed', decision: failed, decisions };
  const stuck = decisions.find((d) => d.verdict === StackVerdict.needsAttention);
  if (stuck) return { outcome: 'needs-attention', decision: stuck, decisions };
  if (decisions.every((d) => d.verdict === StackVerdict.settled)) return { outcome: 'ready', decisions };
  if (attempt.elapsedSeconds >= timeoutSeconds) return { outcome: 'timed-out', decisions };
  return { outcome: 'pending', decisions };
}

/**
 * True when the call would ask CloudFormation to create or delete a stack, which needs a
 * stack-operation slot; watching stacks already in progress needs none.
 */
export function needsSlot(decisions: readonly StackDecision[]): boolean {
  return decisions.some(
    (d) => d.verdict === StackVerdict.create || d.verdict === StackVerdict.delete || d.verdict === StackVerdict.update,
  );
}

/** Throws InvalidStepInput when an `updated` loop has no parameter values to apply: a workflow definition bug. */
export function assertUpdatable(
  desired: DesiredState,
  parameterValues: Readonly<Record<string, string>> | undefined,
): void {
  if (desired !== 'updated') return;
  if (parameterValues === undefined || Object.keys(parameterValues).length === 0) {
    throw new InvalidStepInputError('converge-stacks needs parameterValues to update stacks');
  }
}

/**
 * Throws InvalidStepInput when a stack that may need creating has no template: the plan
 * step always sets one, so its absence is a workflow definition bug.
 */
export function assertCreatable(desired: DesiredState, stacks: readonly StackSpec[]): void {
  if (desired !== 'present') return;
  const missing = stacks.filter((s) => s.templateUrl === undefined || s.templateUrl === '').map((s) => s.stackName);
  if (missing.length > 0) {
    throw new InvalidStepInputError(
      `converge-stacks needs a templateUrl for stacks it creates; missing for ${missing.join(', ')}`,
    );
  }
}

/** The output of a call that is not failing: the state the next call continues from. */
export function nextProgress(
  attempt: AttemptState,
  result: {
    readonly ready: boolean;
    readonly issuedNow: readonly string[];
    readonly outputs: Readonly<Record<string, string>>;
    /** The call issued nothing because no stack-operation slot was free. */
    readonly queued?: boolean;
  },
  timeoutSeconds: number,
  /** The wait ends on CloudFormation's event, with a slow fallback look; else it polls. */
  eventDriven = false,
): StackProgress {
  // Never wait past the deadline: the last look happens right at it, not up to a minute later.
  const remaining = Math.max(1, timeoutSeconds - attempt.elapsedSeconds);
  // A slot comes free with no event: a queued loop keeps polling.
  const interval = eventDriven && result.queued !== true ? stackFallbackSeconds : nextWaitSeconds(attempt.polls);
  return {
    ready: result.ready,
    polls: attempt.polls + 1,
    waitSeconds: Math.min(interval, remaining),
    elapsedSeconds: attempt.elapsedSeconds,
    redriveCount: attempt.redriveCount,
    issued: [...new Set([...attempt.issued, ...result.issuedNow])],
    outputs: { ...result.outputs },
    ...(result.queued === true ? { queued: true } : {}),
    ...(attempt.queuedSeconds > 0 ? { queuedSeconds: attempt.queuedSeconds } : {}),
  };
}

/**
 * True when a call that found no free slot has already waited the queue deadline: the step then
 * fails with StackTimeout instead of queueing on until the execution itself times out (TIMED_OUT
 * carries no reason). The CDK app checks the deadlines fit the execution timeout.
 */
export function queueTimedOut(attempt: AttemptState, queueTimeoutSeconds: number): boolean {
  return attempt.queuedSeconds >= queueTimeoutSeconds;
}

/** The error for a tenant that waited the whole queue deadline for a stack-operation slot. */
export function queueTimeoutError(queueTimeoutSeconds: number, maxStackOperations: number): StackTimeoutError {
  return new StackTimeoutError(
    `No stack operation slot came free within ${queueTimeoutSeconds} seconds (${maxStackOperations} tenants may create or delete stacks at once)`,
  );
}

/** Every settled stack's outputs in one record (stacks later in the plan win a clash). */
export function mergeOutputs(decisions: readonly StackDecision[]): Record<string, string> {
  return Object.assign({}, ...decisions.map((d) => d.stack?.outputs ?? {})) as Record<string, string>;
}

/** The error for a stack this attempt failed to create or delete, naming the first failing resource. */
export function stackFailureError(
  decision: StackDecision,
  firstFailure: string | undefined,
): StackCreationFailedError | StackDeletionFailedError | StackUpdateFailedError {
  const stackName = decision.spec.stackName;
  const reason = firstFailure ?? decision.stack?.statusReason ?? `stack status ${statusOf(decision)}`;
  if (decision.verdict === StackVerdict.updateFailed) {
    const stuck = statusOf(decision) === 'UPDATE_ROLLBACK_FAILED';
    return new StackUpdateFailedError(
      stuck
        ? `Stack ${stackName} failed to update and its rollback failed too; it is in UPDATE_ROLLBACK_FAILED and needs ContinueUpdateRollback or an operator: ${reason}`
        : `Stack ${stackName} failed to update and rolled back to its previous state: ${reason}`,
    );
  }
  return decision.verdict === StackVerdict.deletionFailed
    ? new StackDeletionFailedError(`Stack ${stackName} failed to delete: ${reason}`)
    : new StackCreationFailedError(`Stack ${stackName} failed to create: ${reason}`);
}

/** The error for a stack in a state this loop cannot repair. */
export function needsAttentionError(
  decision: StackDecision,
  desired: DesiredState = 'present',
): StackCreationFailedError | StackUpdateFailedError {
  const why = decision.stack?.statusReason ? `: ${decision.stack.statusReason}` : '';
  if (desired === 'updated') {
    return new StackUpdateFailedError(
      `Stack ${decision.spec.stackName} cannot be updated: it is in ${statusOf(decision)} and needs manual attention${why}`,
    );
  }
  return new StackCreationFailedError(
    `Stack ${decision.spec.stackName} is in ${statusOf(decision)} and needs manual attention${why}`,
  );
}

/** The error for stacks that did not settle before the deadline, naming each with its status. */
export function timeoutError(decisions: readonly StackDecision[], timeoutSeconds: number): StackTimeoutError {
  const unsettled = decisions
    .filter((d) => d.verdict !== StackVerdict.settled)
    .map((d) => `${d.spec.stackName} (${statusOf(d)})`);
  return new StackTimeoutError(`Stacks did not settle within ${timeoutSeconds} seconds: ${unsettled.join(', ')}`);
}

/** The stack's status as observed, or "not found". */
export function statusOf(decision: StackDecision): string {
  return decision.stack?.status ?? 'not found';
}

/**
 * Adds parameters decided after planning (the tenant's claimed route) to every stack that is
 * to be created. They are distinct from the plan's own names; on a clash the later decision wins.
 */
export function withExtraParameters(
  stacks: readonly StackSpec[],
  extra: Readonly<Record<string, string>> | undefined,
): StackSpec[] {
  if (extra === undefined || Object.keys(extra).length === 0) return [...stacks];
  return stacks.map((spec) =>
    spec.templateUrl === undefined ? spec : { ...spec, parameters: { ...spec.parameters, ...extra } },
  );
}
