/**
 * Whether an execution can run out of its own time. A workflow whose execution timeout
 * (`TimeoutSeconds` of the ASL file) passes first ends TIMED_OUT: no step error, no failure reason,
 * and a redrive restarts the whole clock. So the app checks at synth that the slowest execution the
 * configuration allows still ends before it, with the step's own error (StackTimeout,
 * ServicesNotStable, a step's last retry) instead.
 *
 * The model, per workflow, taken from the ASL file itself:
 * - every Task state spends its whole retry budget once: each attempt (1 + every retrier's
 *   MaxAttempts) runs to the function timeout, and every retry waits its longest interval
 *   (IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds; full jitter only shortens it).
 *   An attempt Lambda throttles runs nothing: Lambda refuses the invocation at once with a 429
 *   (Lambda.TooManyRequestsException) when the function is at its concurrency limit
 *   (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html), so the attempts of a
 *   retrier that matches only throttling cost their retry intervals, not the function timeout;
 * - each polling loop runs to its deadline, and every look of the loop is an invocation that runs
 *   to the function timeout: a stack loop (converge-stacks) waits for a stack-operation slot up
 *   to the queue timeout, then for CloudFormation up to the stack timeout; a services loop
 *   (check-services) up to the services timeout. The loops' clocks count only their Wait states,
 *   so invocation time is added on top. A loop is a Wait state whose next state is a Task of
 *   those functions (its seconds come from the loop's progress, SecondsPath), and each one counts: a workflow with several stack loops in a row (the tier
 *   change creates, updates and deletes stacks) can spend every deadline in each. Loops on
 *   branches that exclude each other (the update's template update and tier change) are summed
 *   too, which makes the figure an upper bound;
 * - a Wait state with fixed Seconds (the tier change's deregistration delay) waits them;
 * - a callback Task (`.waitForTaskToken`, the tier change's data migration hook) also waits for its
 *   answer once, up to the longest timeout the configuration allows
 *   ({@link maxDataMigrationHookTimeoutSeconds}, whatever is configured, so no setting of the hook
 *   can outgrow the ASL's TimeoutSeconds): only its last attempt waits, since it retries only the
 *   errors of its invocation, which come before the wait.
 * Transient errors on many looks of one loop (rather than one state spending its budget once)
 * are not in the model; docs/deploy.md says so.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 *
 * The rollout and its pages are checked by infra/fleet-workflow-budget.ts, on these functions.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkflowName } from '../events/contract.ts';
import { waitAfterPolls } from '../functions/check-services/stability.ts';
import { nextWaitSeconds } from '../functions/converge-stacks/converge.ts';
import { maxDataMigrationHookTimeoutSeconds } from '../functions/shared/config/environment.ts';

/** The Resource of a callback Task (invoke a function, then wait for its task token). */
const waitForTaskTokenResource = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The stack loop's wait after `looks` looks (the schedule converge-stacks uses). */
const stackLoopWaitSeconds = (looks: number) => nextWaitSeconds(looks);
/** The services loop's wait after `looks` looks (check-services counts its looks from 1). */
const checkServicesWaitSeconds = (looks: number) => waitAfterPolls(looks + 1);

/** The timeouts the configuration sets, in seconds. */
export interface WorkflowDeadlines {
  readonly stackTimeoutSeconds: number;
  readonly servicesTimeoutSeconds: number;
  readonly stackQueueTimeoutSeconds: number;
  /** Timeout of every orchestrator Lambda function. */
  readonly functionTimeoutSeconds: number;
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: string };
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly Next?: string;
  readonly Seconds?: number;
}

/** The function of the Await states: callback Tasks that stand between two looks of a loop. */
const awaitChangeFunction = '${AwaitChangeFunctionArn}';

/**
 * The next look of a loop a state waits before: a Wait state's Next, or the state an Await
 * state's fallback look (its caught States.Timeout) goes to.
 */
function nextLook(state: AslState): string | undefined {
  if (state.Type === 'Wait') return state.Next;
  if (state.Type === 'Task' && state.Parameters?.FunctionName === awaitChangeFunction)
    return state.Catch?.find((catcher) => catcher.ErrorEquals.includes('States.Timeout'))?.Next;
  return undefined;
}

export interface AslDefinition {
  readonly TimeoutSeconds?: number;
  readonly States: Readonly<Record<string, AslState>>;
}

/** One line of the worst case: what takes the time and how long. */
export interface BudgetItem {
  readonly what: string;
  readonly seconds: number;
  /** The configuration field behind the item, when there is one. */
  readonly setting?: string;
}

/** A workflow's worst case against its execution timeout. */
export interface WorkflowBudget {
  readonly file: string;
  readonly executionTimeoutSeconds: number;
  readonly worstCaseSeconds: number;
  readonly items: readonly BudgetItem[];
}

/** What Step Functions reports when Lambda throttles an invocation: the function did not run. */
const throttlingErrors: ReadonlySet<string> = new Set(['Lambda.TooManyRequestsException']);

/** True when every error the retrier matches is a throttle, so its attempts run no function code. */
export function retriesOnlyThrottling(retrier: Retrier): boolean {
  return retrier.ErrorEquals.length > 0 && retrier.ErrorEquals.every((error) => throttlingErrors.has(error));
}

/** The longest a retrier can wait in total, using the ASL defaults (1 s, 3 attempts, rate 2). */
export function retrierDelaySeconds(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const rate = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt += 1)
    total += Math.min(interval * rate ** attempt, cap);
  return Math.ceil(total);
}

/**
 * A loop run to its deadline: the looks it takes until the sum of its waits reaches
 * `deadlineSeconds` (the last look included), and that sum (the last wait may overshoot).
 */
export function loopToDeadline(
  deadlineSeconds: number,
  waitAfterLooks: (looks: number) => number,
): { looks: number; waitedSeconds: number } {
  let looks = 1;
  let waitedSeconds = 0;
  while (waitedSeconds < deadlineSeconds) {
    waitedSeconds += waitAfterLooks(looks - 1);
    looks += 1;
  }
  return { looks, waitedSeconds };
}

function loopItem(
  setting: string,
  deadlineSeconds: number,
  waitAfterLooks: (looks: number) => number,
  invocationSeconds: number,
  waitState: string,
): BudgetItem {
  const { looks, waitedSeconds } = loopToDeadline(deadlineSeconds, waitAfterLooks);
  return {
    setting,
    what: `${waitState} loop, ${setting} (${deadlineSeconds} s): ${waitedSeconds} s of waits and ${looks} looks`,
    seconds: waitedSeconds + looks * invocationSeconds,
  };
}

/** Which loop a function's Task states belong to. */
const loopOfFunction: Readonly<Record<string, 'stack' | 'services'>> = {
  '${ConvergeStacksFunctionArn}': 'stack',
  '${CheckServicesFunctionArn}': 'services',
};

/** The worst case of one workflow definition under the given deadlines. */
export function workflowBudget(file: string, definition: AslDefinition, deadlines: WorkflowDeadlines): WorkflowBudget {
  if (definition.TimeoutSeconds === undefined)
    throw new Error(`${file}: no TimeoutSeconds; an execution could then run for a year`);
  const invocationSeconds = deadlines.functionTimeoutSeconds;
  const items: BudgetItem[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const retriers = state.Retry ?? [];
    const retryAttempts = (list: readonly Retrier[]) =>
      list.reduce((sum, retrier) => sum + (retrier.MaxAttempts ?? 3), 0);
    const attempts = 1 + retryAttempts(retriers.filter((retrier) => !retriesOnlyThrottling(retrier)));
    const throttled = retryAttempts(retriers.filter(retriesOnlyThrottling));
    const delays = retriers.reduce((sum, retrier) => sum + retrierDelaySeconds(retrier), 0);
    items.push({
      what:
        `${name}: ${attempts} attempts of up to ${invocationSeconds} s` +
        (throttled > 0 ? `, ${throttled} throttled ones that run nothing,` : '') +
        ` and ${delays} s of retry intervals`,
      seconds: attempts * invocationSeconds + delays,
    });
    if (state.Resource === waitForTaskTokenResource && state.Parameters?.FunctionName !== awaitChangeFunction)
      items.push({
        setting: 'dataMigrationHook.timeoutSeconds',
        what: `${name}: the wait for its task token, up to the longest timeout allowed (${maxDataMigrationHookTimeoutSeconds} s)`,
        seconds: maxDataMigrationHookTimeoutSeconds,
      });
  }
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait' && state.Seconds !== undefined) {
      items.push({ what: `${name}: a fixed wait of ${state.Seconds} s`, seconds: state.Seconds });
      continue;
    }
    // A loop waits (a Wait state, or an Await state whose fallback look is its timeout) for the
    // seconds of the loop's progress, then looks again. An Await state is one more invocation per look.
    const next = nextLook(state);
    if (next === undefined) continue;
    const target = definition.States[next];
    const loop = target?.Type === 'Task' && target.Resource !== undefined ? loopOfFunction[target.Resource] : undefined;
    const invocation = state.Type === 'Task' ? 2 * invocationSeconds : invocationSeconds;
    if (loop === 'stack') {
      items.push(
        loopItem(
          'stackQueueTimeoutSeconds',
          deadlines.stackQueueTimeoutSeconds,
          stackLoopWaitSeconds,
          invocation,
          name,
        ),
      );
      items.push(
        loopItem('stackTimeoutSeconds', deadlines.stackTimeoutSeconds, stackLoopWaitSeconds, invocation, name),
      );
    } else if (loop === 'services') {
      items.push(
        loopItem(
          'servicesTimeoutSeconds',
          deadlines.servicesTimeoutSeconds,
          checkServicesWaitSeconds,
          invocation,
          name,
        ),
      );
    }
  }
  const worstCaseSeconds = items.reduce((sum, item) => sum + item.seconds, 0);
  return { file, executionTimeoutSeconds: definition.TimeoutSeconds, worstCaseSeconds, items };
}

/**
 * Checks every workflow file; throws naming the settings and the execution timeout when the
 * worst case does not end before it.
 */
export function checkWorkflowBudgets(
  projectRoot: string,
  files: Readonly<Record<WorkflowName, string>>,
  deadlines: WorkflowDeadlines,
): WorkflowBudget[] {
  const budgets = Object.values(files).map((file) =>
    workflowBudget(file, JSON.parse(readFileSync(resolve(projectRoot, file), 'utf8')) as AslDefinition, deadlines),
  );
  for (const budget of budgets) {
    if (budget.worstCaseSeconds >= budget.executionTimeoutSeconds) {
      const settings = budget.items.flatMap((item) => (item.setting === undefined ? [] : [item.setting])).join(', ');
      throw new Error(
        `${settings} are too long for ${budget.file}: its executions time out after ${budget.executionTimeoutSeconds} s (TimeoutSeconds), ` +
          `but the worst case with every retry is ${budget.worstCaseSeconds} s, so an execution could end TIMED_OUT instead of failing with the step's error. ` +
          `Lower them by at least ${budget.worstCaseSeconds - budget.executionTimeoutSeconds + 1} s in total. Worst case: ${budget.items.map((item) => `${item.what} = ${item.seconds} s`).join('; ')}`,
      );
    }
  }
  return budgets;
}
