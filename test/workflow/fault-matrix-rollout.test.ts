/**
 * The fault matrix of the fleet rollout (statemachines/rollout.asl.json and rollout-wave.asl.json):
 * every Task state of both, on the path of a rollout that completes and on the path of one that
 * halts and rolls its wave back, against each fault class (see fault-matrix.test.ts for the request
 * workflows). Each case asserts how the execution under test ends and, once the fault has cleared
 * and the rollout was redriven, that the fleet converged: every tenant on exactly one version (the
 * target, or for a halted wave the version it had), exactly the update executions the rollout's
 * names call for (none started twice, no second attempt, none extra), one page execution per wave
 * and page, one `Rollout Wave Completed` event per wave (two when the reporting step was retried
 * after its PutEvents: docs/contract.md allows it), no lock but the one a failed update keeps, no
 * stack-operation slot, nothing left running. A halted rollout is then run again, the cause fixed:
 * it resumes, and every tenant ends on the target with its lock released.
 *
 * A page (rollout-wave) that fails as a whole fails its rollout with RolloutBatchFailed. In AWS the
 * page is redriven (only its failed Map iteration runs again), then the rollout; the local runner
 * cannot redrive a failed inline Map iteration, so those rows resume by running the rollout again.
 *
 * The fleet is three silo-services tenants in waves `1,100%`: wave 1 updates one tenant, wave 2 the
 * other two. On the halt path the last tenant's stack update is refused, so wave 2 halts and its
 * other tenant is rolled back to 1.0.0. Wave 1's page and the rollback's page each hold one tenant,
 * so a fault counted in attempts strikes one tenant's iteration, whatever the Map's interleaving.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { batchExecutionName, type RolloutInput, type RolloutMode } from '../../functions/rollout/progress.ts';
import type { ExecutionSummary, InjectedFault } from '../../local/runtime/api.ts';
import { OutcomeTable, retriesAt, transientBudget } from './fault-matrix.fixture.ts';
import { type Fleet, type RolloutPath, rolloutMatrixFixture } from './fault-matrix-rollout.fixture.ts';
import { useSharedTestRuntime } from './runtime.fixture.ts';

const shared = useSharedTestRuntime();
const {
  onboardFleet,
  rolloutInput,
  haltingFault,
  outputOf,
  versions,
  expectedUpdates,
  updatesOf,
  expectConverged,
  expectTenants,
  expectResumed,
} = rolloutMatrixFixture(shared);

type RolloutWorkflow = 'rollout' | 'rollout-wave';

/** A Task state, the path it is on, and the AWS calls its attempts make (any of them may be the one faulted). */
interface RolloutStep {
  readonly workflow: RolloutWorkflow;
  readonly state: string;
  readonly path: RolloutPath;
  /** `Service:Operation`; several when the call may be either (see the registry page read). */
  readonly calls: readonly string[];
  /** For a child state: whether the page under test updates (wave 1) or rolls back (wave 2's rollback). */
  readonly mode?: RolloutMode;
}

/**
 * The registry page read: a Scan today; functions/shared/registry/tenant-pages.ts is moving to a
 * Query. Both are armed, so the rows fault whichever the code makes (and fail if it makes neither).
 */
const registryPageRead = ['DynamoDB:Scan', 'DynamoDB:Query'];

const steps: readonly RolloutStep[] = [
  { workflow: 'rollout', state: 'PlanRollout', path: 'complete', calls: registryPageRead },
  { workflow: 'rollout', state: 'TakeWaveBatch', path: 'complete', calls: registryPageRead },
  { workflow: 'rollout', state: 'StartWaveBatch', path: 'complete', calls: ['StepFunctions:StartExecution'] },
  { workflow: 'rollout', state: 'CheckWaveBatch', path: 'complete', calls: ['StepFunctions:DescribeExecution'] },
  { workflow: 'rollout', state: 'GateWave', path: 'complete', calls: ['ECS:DescribeServices'] },
  { workflow: 'rollout', state: 'GateWave', path: 'complete', calls: ['CloudWatch:DescribeAlarms'] },
  { workflow: 'rollout', state: 'ReportWaveCompleted', path: 'complete', calls: ['EventBridge:PutEvents'] },
  {
    workflow: 'rollout-wave',
    state: 'StartTenantUpdate',
    path: 'complete',
    calls: ['DynamoDB:GetItem'],
    mode: 'update',
  },
  {
    workflow: 'rollout-wave',
    state: 'StartTenantUpdate',
    path: 'complete',
    calls: ['StepFunctions:StartExecution'],
    mode: 'update',
  },
  {
    workflow: 'rollout-wave',
    state: 'CheckTenantUpdate',
    path: 'complete',
    calls: ['StepFunctions:DescribeExecution'],
    mode: 'update',
  },
  // The halt: wave 2's page ends with a failed tenant, the rollout rolls the wave back.
  { workflow: 'rollout', state: 'RollBackWave', path: 'halt', calls: ['StepFunctions:DescribeExecution'] },
  { workflow: 'rollout', state: 'RollBackWave', path: 'halt', calls: ['StepFunctions:StartExecution'] },
  { workflow: 'rollout', state: 'CheckRollbackBatch', path: 'halt', calls: ['StepFunctions:DescribeExecution'] },
  { workflow: 'rollout', state: 'ReportWaveHalted', path: 'halt', calls: ['EventBridge:PutEvents'] },
  {
    workflow: 'rollout-wave',
    state: 'StartTenantUpdate',
    path: 'halt',
    calls: ['StepFunctions:StartExecution'],
    mode: 'rollback',
  },
  {
    workflow: 'rollout-wave',
    state: 'CheckTenantUpdate',
    path: 'halt',
    calls: ['StepFunctions:DescribeExecution'],
    mode: 'rollback',
  },
];

interface CaseContext {
  readonly step: RolloutStep;
  readonly fleet: Fleet;
  readonly sdkFaults: (kind: 'throttling' | 'server' | 'client', times: number) => InjectedFault[];
}

type Expected =
  | { readonly outcome: 'success'; readonly retriedWith: string }
  | { readonly outcome: 'failure'; readonly error: string };

interface FaultClass {
  readonly name: string;
  readonly arm: (context: CaseContext) => readonly InjectedFault[];
  readonly expected: Expected;
}

const faultClasses: readonly FaultClass[] = [
  {
    name: 'throttling burst',
    arm: ({ sdkFaults }) => sdkFaults('throttling', 2),
    expected: { outcome: 'success', retriedWith: 'TransientAwsError' },
  },
  {
    name: '5xx past the retries',
    arm: ({ sdkFaults }) => sdkFaults('server', transientBudget),
    expected: { outcome: 'failure', error: 'TransientAwsError' },
  },
  {
    // A client error no adapter knows (as AccessDenied would be): not retried, the step fails at once.
    name: 'refused for good',
    arm: ({ sdkFaults }) => sdkFaults('client', 1),
    expected: { outcome: 'failure', error: 'InjectedFault' },
  },
  {
    name: 'Lambda timeout after the work',
    arm: ({ step }) => [{ step: step.state, kind: 'timeout-after', times: 1 }],
    expected: { outcome: 'success', retriedWith: 'Sandbox.Timedout' },
  },
];

/** The execution a row's fault strikes: the rollout, or the page (wave 1's, or wave 2's rollback). */
function executionUnderTest(step: RolloutStep, rolloutId: string): ExecutionSummary | undefined {
  if (step.workflow === 'rollout') return shared.runtime.execution(rolloutId);
  const name =
    step.mode === 'rollback'
      ? batchExecutionName(rolloutId, 2, 1, 'rollback')
      : batchExecutionName(rolloutId, 1, 1, 'update');
  return shared.runtime
    .executions()
    .find((execution) => execution.workflow === 'rollout-wave' && execution.name === name);
}

const table = new OutcomeTable();
const rowOf = (s: RolloutStep) =>
  `${s.workflow === 'rollout' ? 'ro ' : 'pg '} ${s.state} (${[s.path, s.mode, s.calls.join('|')].filter(Boolean).join(', ')})`;

const cases = steps.flatMap((step) =>
  faultClasses.map((fault) => ({
    step,
    fault,
    label: `${step.workflow} ${step.state} (${[step.path, step.mode, step.calls.join('|')].filter(Boolean).join(', ')}) x ${fault.name}`,
  })),
);

/**
 * Starts the case's rollout with `arm`ed faults, so that they strike the row's execution: a
 * rollback page's state runs after the rollout failed at RollBackWave (nothing rolled back yet) and
 * was redriven with the faults armed, since the update pages run the same states before it.
 */
async function startArmed(step: RolloutStep, fleet: Fleet, input: RolloutInput, arm: readonly InjectedFault[]) {
  if (step.path === 'halt') shared.runtime.injectFault(haltingFault(fleet));
  if (step.mode !== 'rollback') {
    for (const fault of arm) shared.runtime.injectFault(fault);
    return shared.runtime.startRollout(input, { wait: true });
  }
  shared.runtime.injectFault({ step: 'RollBackWave', times: 1 });
  const stopped = await shared.runtime.startRollout(input, { wait: true });
  expect(stopped).toMatchObject({ status: 'FAILED', failedState: 'RollBackWave', error: 'InjectedFault' });
  for (const fault of arm) shared.runtime.injectFault(fault);
  return shared.runtime.redrive(stopped.executionArn, { wait: true });
}

describe('rollout fault matrix: every Task state of the rollout and its pages x every fault class', () => {
  // Named in full: `$label` would cut the names at 40 characters, and two rows would share one.
  for (const { step, fault, label } of cases)
    it(label, async () => {
      const fleet = await onboardFleet();
      const input = rolloutInput();
      const context: CaseContext = {
        step,
        fleet,
        sdkFaults: (kind, times) =>
          step.calls.map((call) => {
            const [service = '', operation = ''] = call.split(':');
            return { service, operation, kind, times, during: step.state };
          }),
      };

      const rollout = await startArmed(step, fleet, input, fault.arm(context));

      const struck = executionUnderTest(step, input.rolloutId);
      if (struck === undefined)
        throw new Error(`no ${step.workflow} execution of ${input.rolloutId} ran ${step.state}`);
      const retries = retriesAt(shared.runtime, struck.executionArn, step.state);
      if (fault.expected.outcome === 'success') {
        expect(rollout.status).toBe('SUCCEEDED');
        // The fault struck where it was meant to, and the state's retry got past it.
        expect(retries).toContain(fault.expected.retriedWith);
        table.record(rowOf(step), fault.name, `ok, ${retries.length} retr.`);
      } else {
        expect(struck).toMatchObject({ status: 'FAILED', failedState: step.state, error: fault.expected.error });
        // A page that fails as a whole fails its rollout where it looks at the page.
        if (step.workflow === 'rollout-wave')
          expect(rollout).toMatchObject({
            status: 'FAILED',
            failedState: step.mode === 'rollback' ? 'CheckRollbackBatch' : 'CheckWaveBatch',
            error: 'RolloutBatchFailed',
          });
        shared.runtime.clearFaults();
        if (step.workflow === 'rollout-wave') {
          // In AWS the page is redriven (only its failed iteration runs again), then the rollout. The
          // local runner cannot redrive a failed inline Map iteration, so here the rollout is run again,
          // the operator's other way to resume: the failed rollout's updates were each started once.
          const started = updatesOf(input.rolloutId).map((execution) => execution.name);
          expect(new Set(started).size).toBe(started.length);
          expect(expectedUpdates(input.rolloutId, step.path, fleet)).toEqual(expect.arrayContaining(started));
          await expectResumed(fleet);
          table.record(rowOf(step), fault.name, `${fault.expected.error}, re-run completed`);
          return;
        }
        if (step.path === 'halt') shared.runtime.injectFault(haltingFault(fleet));
        const redriven = await shared.runtime.redrive(rollout.executionArn, { wait: true });
        expect(redriven, `${redriven.failedState ?? ''} ${redriven.error ?? ''} ${redriven.cause ?? ''}`).toMatchObject(
          {
            status: 'SUCCEEDED',
          },
        );
        table.record(rowOf(step), fault.name, `${fault.expected.error}, redrive ${outputOf(input.rolloutId)?.outcome}`);
      }
      const reportedTwice =
        fault.expected.outcome === 'success' &&
        fault.expected.retriedWith === 'Sandbox.Timedout' &&
        step.state.startsWith('ReportWave')
          ? step.path === 'complete'
            ? 1
            : 2
          : undefined;
      await expectConverged(input.rolloutId, step.path, fleet, reportedTwice);
      if (step.path === 'halt') await expectResumed(fleet);
    });
});

/**
 * Superseded: the step fails, the operator runs the rollout again (the cause fixed) and it moves the
 * whole fleet, then the failed rollout is redriven anyway. It must start nothing and move nobody:
 * every tenant is on the target already. Rows of the rollout's own states; a page cannot be redriven
 * on the local runner (see above).
 */
const supersededColumn = 'superseded (redrive after a newer rollout)';
const supersededSteps = steps.filter(
  (step, index) =>
    step.workflow === 'rollout' &&
    steps.findIndex((other) => other.state === step.state && other.path === step.path) === index,
);

describe('rollout fault matrix: a rollout redriven after a newer one moved the fleet changes nothing', () => {
  // KNOWN DEFECT, narrowed: a rollback now moves only a tenant whose latest completed operation is this
  // rollout's own update (rollout-executions), so a tenant a newer operation changed is left alone. Still
  // open: a tenant the newer rollout found already on its target (it counted it, changed nothing) is rolled
  // back by the old rollout redriven at RollBackWave. `it.fails` keeps the row visible; it turns red once
  // a rollback knows that a newer rollout counted the tenant.
  for (const step of supersededSteps)
    (step.state === 'RollBackWave' ? it.fails : it)(`${step.state} (${step.path})`, async () => {
      const fleet = await onboardFleet();
      const input = rolloutInput();
      if (step.path === 'halt') shared.runtime.injectFault(haltingFault(fleet));
      shared.runtime.injectFault({ step: step.state, times: 1 });
      const failed = await shared.runtime.startRollout(input, { wait: true });
      expect(failed).toMatchObject({ status: 'FAILED', failedState: step.state, error: 'InjectedFault' });
      await expectResumed(fleet);
      const updatesBefore = shared.runtime.executions().filter((execution) => execution.workflow === 'update');

      const redriven = await shared.runtime.redrive(failed.executionArn, { wait: true });

      expect(redriven.status).toBe('SUCCEEDED');
      await shared.runtime.drain();
      const updatesAfter = shared.runtime.executions().filter((execution) => execution.workflow === 'update');
      const moved = Object.values(await versions()).filter((version) => version !== '1.1.0').length;
      table.record(
        rowOf(step),
        supersededColumn,
        `redrive ${outputOf(input.rolloutId)?.outcome}, ${updatesAfter.length - updatesBefore.length} started, ${moved} moved back`,
      );
      expect(updatesAfter.slice(updatesBefore.length).map((execution) => execution.name)).toEqual([]);
      expect(Object.values(await versions())).toEqual(['1.1.0', '1.1.0', '1.1.0']);
      await expectTenants(
        fleet,
        () => ['ACTIVE', undefined],
        () => 'UPDATE_COMPLETE',
      );
    });
});

afterAll(() => {
  console.log(
    table.format('Rollout fault matrix (step x fault -> outcome; ro = rollout, pg = page):', [
      ...faultClasses.map((fault) => fault.name),
      supersededColumn,
    ]),
  );
});
