/**
 * Whether the fleet workflows (statemachines/rollout.asl.json and rollout-wave.asl.json) can run out
 * of their own time, on the model of infra/workflow-budget.ts (every Task state's retry budget once,
 * every look of a loop an invocation at the function timeout).
 *
 * A rollout page (rollout-wave) is bounded by configuration, and checked like the request workflows:
 * at the least concurrency a rollout accepts
 * (1), its 25 tenants run one after another, each through up to two attempts of an update that runs
 * to the update workflow's TimeoutSeconds, each followed by a wait for another operation's lock to
 * the longest request workflow's TimeoutSeconds ({@link rolloutWaveBudget}). Assumption: a lock's
 * holder is running. A lock left by a failed execution waiting for its redrive is held without end,
 * and a page waiting on it times out (its rollout then fails with RolloutBatchFailed; both alarm).
 * The rollout itself is not bounded by configuration: its pages grow with the fleet, and each may
 * run as long as its page. Its TimeoutSeconds is therefore the Step Functions maximum, a year (the
 * check insists on it), and the model states how many pages fit in that year
 * ({@link rolloutPagesWithinTimeout}): with every page at its worst at the highest concurrency (one
 * round of tenants), at least one (the check insists on it); with the
 * updates docs/operate.md assumes (10 minutes, concurrency 5), far more pages than the 300 its
 * history allows. A rollout of more, slower pages can time out; its alarm says so and a redrive resumes it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkflowName } from '../events/contract.ts';
import { rolloutLimits } from '../functions/rollout/plan.ts';
import { maxUpdateAttempts, pollWaitSeconds, tenantsPerBatch } from '../functions/rollout/progress.ts';
import {
  type AslDefinition,
  type AslState,
  type BudgetItem,
  loopToDeadline,
  type WorkflowBudget,
  workflowBudget,
} from './workflow-budget.ts';

/**
 * Longest an execution of a Standard workflow may run: a year
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum execution time").
 */
export const maxExecutionSeconds = 31_536_000;

/** A Map state's inline item processor, as the budget reads it. */
interface AslMapState extends AslState {
  readonly ItemProcessor?: { readonly States: Readonly<Record<string, AslState>> };
}

/** What the fleet budget reads besides the two ASL files. */
export interface FleetBudgetInputs {
  /** The rollout's definition (rollout.asl.json). */
  readonly rollout: AslDefinition;
  /** The page's definition (rollout-wave.asl.json). */
  readonly rolloutWave: AslDefinition;
  /** TimeoutSeconds of the update workflow: the longest one tenant's update can run. */
  readonly updateTimeoutSeconds: number;
  /** The longest TimeoutSeconds of the request workflows: how long another operation can hold a tenant's lock. */
  readonly lockHolderTimeoutSeconds: number;
  /** Timeout of every orchestrator Lambda function. */
  readonly functionTimeoutSeconds: number;
}

/**
 * The page's worst case at `concurrency` (default: 1, the least a rollout accepts). Its tenants run
 * in ceil(tenantsPerBatch / concurrency) rounds; each tenant spends the whole retry budget of its
 * Task states once, and each of its maxUpdateAttempts attempts looks at an update that runs to the
 * update workflow's TimeoutSeconds and then, when it ended without moving the tenant, waits for the
 * lock's holder to run to the longest request workflow's TimeoutSeconds (check-tenant waits while the
 * lock is held), looking at the pollWaitSeconds schedule with an invocation per look.
 */
export function rolloutWaveBudget(
  file: string,
  inputs: FleetBudgetInputs,
  concurrency: number = rolloutConcurrencyLimits.least,
): WorkflowBudget {
  const { rolloutWave: definition, functionTimeoutSeconds: invocation } = inputs;
  if (definition.TimeoutSeconds === undefined) throw new Error(`${file}: no TimeoutSeconds`);
  const map = Object.values(definition.States).find((state) => state.Type === 'Map') as AslMapState | undefined;
  if (map?.ItemProcessor === undefined) throw new Error(`${file}: no inline Map with an ItemProcessor`);
  const perTenantTasks = workflowBudget(
    `${file} (a tenant's iteration)`,
    { TimeoutSeconds: definition.TimeoutSeconds, States: map.ItemProcessor.States },
    {
      stackTimeoutSeconds: 0,
      servicesTimeoutSeconds: 0,
      stackQueueTimeoutSeconds: 0,
      functionTimeoutSeconds: invocation,
    },
  ).worstCaseSeconds;
  const attempt = loopToDeadline(inputs.updateTimeoutSeconds + inputs.lockHolderTimeoutSeconds, pollWaitSeconds);
  const attemptSeconds = attempt.waitedSeconds + attempt.looks * invocation;
  const rounds = Math.ceil(tenantsPerBatch / concurrency);
  const items: BudgetItem[] = [
    {
      what: `${rounds} rounds of tenants (${tenantsPerBatch} a page at concurrency ${concurrency}), each: its Task states' retry budgets (${perTenantTasks} s) and ${maxUpdateAttempts} attempts of an update (${inputs.updateTimeoutSeconds} s) plus a lock holder (${inputs.lockHolderTimeoutSeconds} s), ${attempt.looks} looks each (${attemptSeconds} s)`,
      seconds: rounds * (perTenantTasks + maxUpdateAttempts * attemptSeconds),
    },
  ];
  return {
    file,
    executionTimeoutSeconds: definition.TimeoutSeconds,
    worstCaseSeconds: items.reduce((sum, item) => sum + item.seconds, 0),
    items,
  };
}

/** The concurrency a rollout accepts (functions/rollout/plan.ts, schemas.ts). */
const rolloutConcurrencyLimits = { least: 1, most: rolloutLimits.concurrency } as const;

/**
 * The rollout's worst case for a fleet of `pages` pages whose pages each run `pageSeconds`: every
 * Task state's retry budget once; per wave (up to rolloutLimits.waves) the longest bake and an
 * invocation each of the empty page that ends it, the gate's alarm read and the report; per page the
 * invocations that take, start and gate it and the looks at it until it ends; and, for the wave that
 * halts, a rollback page as long again for each of its pages (at most all of them).
 */
export function rolloutBudget(
  file: string,
  inputs: FleetBudgetInputs,
  pages: number,
  pageSeconds: number,
): WorkflowBudget {
  const { rollout: definition, functionTimeoutSeconds: invocation } = inputs;
  if (definition.TimeoutSeconds === undefined) throw new Error(`${file}: no TimeoutSeconds`);
  const tasks = workflowBudget(file, definition, {
    stackTimeoutSeconds: 0,
    servicesTimeoutSeconds: 0,
    stackQueueTimeoutSeconds: 0,
    functionTimeoutSeconds: invocation,
  }).worstCaseSeconds;
  const looks = loopToDeadline(pageSeconds, pollWaitSeconds);
  const pageCost = 3 * invocation + looks.waitedSeconds + looks.looks * invocation;
  const rollbackPageCost = invocation + looks.waitedSeconds + looks.looks * invocation;
  const waves = rolloutLimits.waves;
  const items: BudgetItem[] = [
    { what: `every Task state's retry budget once`, seconds: tasks },
    {
      what: `${waves} waves, each a bake of up to ${rolloutLimits.bakeSeconds} s and 3 invocations`,
      seconds: waves * (rolloutLimits.bakeSeconds + 3 * invocation),
    },
    { what: `${pages} pages of ${pageSeconds} s, ${looks.looks} looks each`, seconds: pages * pageCost },
    { what: `the halted wave's rollback: up to ${pages} pages as long`, seconds: pages * rollbackPageCost },
  ];
  return {
    file,
    executionTimeoutSeconds: definition.TimeoutSeconds,
    worstCaseSeconds: items.reduce((sum, item) => sum + item.seconds, 0),
    items,
  };
}

/** The most pages of `pageSeconds` whose rollout's worst case still ends before its TimeoutSeconds (0: not one). */
export function rolloutPagesWithinTimeout(file: string, inputs: FleetBudgetInputs, pageSeconds: number): number {
  const fits = (pages: number) => {
    const budget = rolloutBudget(file, inputs, pages, pageSeconds);
    return budget.worstCaseSeconds < budget.executionTimeoutSeconds;
  };
  if (!fits(0)) return 0;
  let low = 0;
  let high = 1;
  while (fits(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/** The ASL files of the rollout and of its page, relative to the project root. */
export interface FleetWorkflowFiles {
  readonly rollout: string;
  readonly 'rollout-wave': string;
}

/** Reads the two fleet definitions, and the update's and the longest request workflow's TimeoutSeconds. */
export function readFleetBudgetInputs(
  projectRoot: string,
  files: FleetWorkflowFiles,
  requestFiles: Readonly<Record<WorkflowName, string>>,
  functionTimeoutSeconds: number,
): FleetBudgetInputs {
  const read = (file: string) => JSON.parse(readFileSync(resolve(projectRoot, file), 'utf8')) as AslDefinition;
  const timeoutOf = (file: string) => {
    const seconds = read(file).TimeoutSeconds;
    if (seconds === undefined) throw new Error(`${file}: no TimeoutSeconds`);
    return seconds;
  };
  return {
    rollout: read(files.rollout),
    rolloutWave: read(files['rollout-wave']),
    updateTimeoutSeconds: timeoutOf(requestFiles.update),
    lockHolderTimeoutSeconds: Math.max(...Object.values(requestFiles).map(timeoutOf)),
    functionTimeoutSeconds,
  };
}

/** The fleet workflows' budgets: the page's, and how many pages fit in the rollout's year. */
export interface FleetBudgets {
  readonly rolloutWave: WorkflowBudget;
  /** The rollout's TimeoutSeconds: the Step Functions maximum. */
  readonly rolloutTimeoutSeconds: number;
  /** Pages that fit when every page runs to its worst case at the highest concurrency (one round). */
  readonly pagesAtWorstCase: number;
}

/**
 * Checks the fleet workflows; throws naming the file when a page's worst case (at concurrency 1) does
 * not end before the page's TimeoutSeconds, when the rollout's TimeoutSeconds is not the maximum, or
 * when not even one page at its worst (highest concurrency) fits the rollout's year.
 */
export function checkFleetWorkflowBudgets(
  projectRoot: string,
  files: FleetWorkflowFiles,
  requestFiles: Readonly<Record<WorkflowName, string>>,
  functionTimeoutSeconds: number,
): FleetBudgets {
  return checkFleetBudgets(files, readFleetBudgetInputs(projectRoot, files, requestFiles, functionTimeoutSeconds));
}

/** {@link checkFleetWorkflowBudgets} on definitions and timeouts already read. */
export function checkFleetBudgets(files: FleetWorkflowFiles, inputs: FleetBudgetInputs): FleetBudgets {
  const rolloutWave = rolloutWaveBudget(files['rollout-wave'], inputs);
  if (rolloutWave.worstCaseSeconds >= rolloutWave.executionTimeoutSeconds)
    throw new Error(
      `${files['rollout-wave']}: its executions time out after ${rolloutWave.executionTimeoutSeconds} s (TimeoutSeconds), but a page's worst case is ${rolloutWave.worstCaseSeconds} s: ${rolloutWave.items.map((item) => item.what).join('; ')}`,
    );
  if (inputs.rollout.TimeoutSeconds !== maxExecutionSeconds)
    throw new Error(
      `${files.rollout}: TimeoutSeconds must be the Step Functions maximum (${maxExecutionSeconds} s): its worst case grows with the fleet`,
    );
  const worstPage = rolloutWaveBudget(files['rollout-wave'], inputs, rolloutConcurrencyLimits.most).worstCaseSeconds;
  const pagesAtWorstCase = rolloutPagesWithinTimeout(files.rollout, inputs, worstPage);
  if (pagesAtWorstCase < 1)
    throw new Error(
      `${files.rollout}: not one page at its worst case (${worstPage} s at concurrency ${rolloutConcurrencyLimits.most}) ends before the rollout's TimeoutSeconds`,
    );
  return { rolloutWave, rolloutTimeoutSeconds: maxExecutionSeconds, pagesAtWorstCase };
}
