import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/config.ts';
import {
  checkFleetBudgets,
  checkFleetWorkflowBudgets,
  type FleetBudgetInputs,
  maxExecutionSeconds,
  readFleetBudgetInputs,
  rolloutBudget,
  rolloutPagesWithinTimeout,
  rolloutWaveBudget,
} from '../../infra/fleet-workflow-budget.ts';
import { workflowFunctionTimeoutSeconds } from '../../infra/constructs/orchestrator-function.ts';
import { fleetWorkflowDefinitionFiles, workflowDefinitionFiles } from '../../infra/constructs/workflows.ts';
import { loopToDeadline } from '../../infra/workflow-budget.ts';
import { rolloutLimits } from '../../functions/rollout/plan.ts';
import { maxUpdateAttempts, pollWaitSeconds, tenantsPerBatch } from '../../functions/rollout/progress.ts';

const files = fleetWorkflowDefinitionFiles;
const shipped = readFleetBudgetInputs(projectRoot, files, workflowDefinitionFiles, workflowFunctionTimeoutSeconds);
const page = files['rollout-wave'];

describe('the fleet workflows as shipped', () => {
  it("fits a page's worst case inside its TimeoutSeconds, and sets the rollout's to the Step Functions maximum", () => {
    const budgets = checkFleetWorkflowBudgets(
      projectRoot,
      files,
      workflowDefinitionFiles,
      workflowFunctionTimeoutSeconds,
    );

    expect(budgets.rolloutWave.executionTimeoutSeconds).toBe(shipped.rolloutWave.TimeoutSeconds);
    expect(budgets.rolloutWave.worstCaseSeconds).toBeLessThan(budgets.rolloutWave.executionTimeoutSeconds);
    expect(budgets.rolloutTimeoutSeconds).toBe(maxExecutionSeconds);
    expect(shipped.rollout.TimeoutSeconds).toBe(maxExecutionSeconds);
    expect(budgets.pagesAtWorstCase).toBeGreaterThanOrEqual(1);
  });

  it('reads the update and the longest request workflow timeouts from their ASL files', () => {
    // The update is the longest request workflow today (its data migration hook can wait longest).
    expect(shipped.updateTimeoutSeconds).toBeGreaterThan(0);
    expect(shipped.lockHolderTimeoutSeconds).toBeGreaterThanOrEqual(shipped.updateTimeoutSeconds);
  });
});

describe("a page's worst case", () => {
  it('charges every tenant its two attempts of an update and a lock holder each, looked at on the poll schedule', () => {
    const oneRound = rolloutWaveBudget(page, shipped, tenantsPerBatch);
    const attempt = loopToDeadline(shipped.updateTimeoutSeconds + shipped.lockHolderTimeoutSeconds, pollWaitSeconds);

    expect(oneRound.worstCaseSeconds).toBeGreaterThan(
      maxUpdateAttempts * (attempt.waitedSeconds + attempt.looks * workflowFunctionTimeoutSeconds),
    );
    // At concurrency 1 the page's tenants run one after another: as many rounds as tenants.
    expect(rolloutWaveBudget(page, shipped, 1).worstCaseSeconds).toBe(tenantsPerBatch * oneRound.worstCaseSeconds);
    expect(rolloutWaveBudget(page, shipped).worstCaseSeconds).toBe(
      rolloutWaveBudget(page, shipped, 1).worstCaseSeconds,
    );
  });

  it('follows the update workflow: a longer update, or the page TimeoutSeconds the rollout shipped with, fails the check naming the file', () => {
    const longerUpdate: FleetBudgetInputs = { ...shipped, updateTimeoutSeconds: shipped.updateTimeoutSeconds * 2 };
    expect(() => checkFleetBudgets(files, longerUpdate)).toThrow(/rollout-wave\.asl\.json: its executions time out/);
    // 2,100,000 s held while the update timed out after 33,600 s; it no longer does at 303,600 s.
    const shorterPage: FleetBudgetInputs = {
      ...shipped,
      rolloutWave: { ...shipped.rolloutWave, TimeoutSeconds: 2_100_000 },
    };
    expect(() => checkFleetBudgets(files, shorterPage)).toThrow(/worst case is \d+ s/);
  });
});

describe("the rollout's pages within its year", () => {
  it('insists on the maximum TimeoutSeconds', () => {
    const shorter: FleetBudgetInputs = { ...shipped, rollout: { ...shipped.rollout, TimeoutSeconds: 86_400 } };
    expect(() => checkFleetBudgets(files, shorter)).toThrow(/must be the Step Functions maximum/);
  });

  it('counts the pages that fit: the last one that does, and the next that does not', () => {
    const worstPage = rolloutWaveBudget(page, shipped, rolloutLimits.concurrency).worstCaseSeconds;
    const pages = rolloutPagesWithinTimeout(files.rollout, shipped, worstPage);

    expect(pages).toBeGreaterThanOrEqual(1);
    expect(rolloutBudget(files.rollout, shipped, pages, worstPage).worstCaseSeconds).toBeLessThan(maxExecutionSeconds);
    expect(rolloutBudget(files.rollout, shipped, pages + 1, worstPage).worstCaseSeconds).toBeGreaterThanOrEqual(
      maxExecutionSeconds,
    );
  });

  it('holds the fleet docs/operate.md scales to (300 pages) at its assumed updates: 10 minutes each, concurrency 5', () => {
    const rounds = Math.ceil(tenantsPerBatch / 5);
    const typicalPage = rounds * 600;

    expect(rolloutPagesWithinTimeout(files.rollout, shipped, typicalPage)).toBeGreaterThanOrEqual(300);
  });

  it('states what it cannot hold: a page at its worst at concurrency 1 leaves no room for a rollout around it', () => {
    const slowestPage = rolloutWaveBudget(page, shipped, 1).worstCaseSeconds;

    expect(rolloutPagesWithinTimeout(files.rollout, shipped, slowestPage)).toBe(0);
  });
});

describe('docs/deploy.md', () => {
  it("states the page's worst case and the pages that fit as the model computes them", () => {
    const text = readFileSync(resolve(projectRoot, 'docs/deploy.md'), 'utf8').replace(/\s+/g, ' ');
    const budgets = checkFleetWorkflowBudgets(
      projectRoot,
      files,
      workflowDefinitionFiles,
      workflowFunctionTimeoutSeconds,
    );
    const figure = (value: number) => value.toLocaleString('en-US');

    expect(text).toContain(`${figure(budgets.rolloutWave.worstCaseSeconds)} s with today's files`);
    expect(text).toContain(`its \`TimeoutSeconds\` is ${figure(budgets.rolloutWave.executionTimeoutSeconds)} s`);
    expect(text).toContain(
      `${budgets.pagesAtWorstCase} pages (${budgets.pagesAtWorstCase * tenantsPerBatch} tenants) if every page ran to its worst case`,
    );
  });
});
