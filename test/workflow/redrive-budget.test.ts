/**
 * A redrive gives each polling loop a fresh budget: the failed state runs again with its old input
 * (the old progress, whose elapsed time reached the deadline) and only `$$.Execution.RedriveCount`
 * tells the handler that a new attempt began. Redrive is played as Step Functions does it: the same
 * execution (same name, so the tenant's lock still names it) resumes at the failed state with that
 * state's input and RedriveCount 1.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import { runWorkflow } from '../../local/workflow-runner.ts';
import { startHarness, type Harness } from './harness.ts';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.close();
});

it('a redrive after ServicesNotStable at RecheckTenantServices waits for the services again instead of failing on its first look', async () => {
  // Arrange: the tenant's services never run a task, so the service loop reaches its deadline.
  const event = readSample('onboarding-advanced');
  const tenantId = String(event.detail.tenantId);
  const tenantServices = () =>
    harness.cloud.ecs.listServices().filter((service) => service.serviceName.includes(tenantId));
  const setRunning = (running: (desired: number) => number) => {
    for (const service of tenantServices())
      harness.cloud.ecs.setServiceHealth(
        service.serviceName,
        { runningCount: running(service.desiredCount) },
        service.clusterName,
      );
  };
  const stateInputs = new Map<string, unknown>();
  const executionName = `redrive-budget-${tenantId.slice(0, 8)}`;
  const failed = await runWorkflow('onboarding', event, {
    executionName,
    beforeTask: (state) => {
      if (state === 'VerifyTenantServices') setRunning(() => 0);
    },
    onStateEntered: (state, input) => stateInputs.set(state, input),
  });
  expect(failed).toMatchObject({ status: 'FAILED', failedState: 'RecheckTenantServices', error: 'ServicesNotStable' });
  expect(tenantServices().length).toBeGreaterThan(0);

  // Act: the operator fixes the services; their tasks start only after the redrive's first look.
  let looks = 0;
  const redriven = await runWorkflow('onboarding', stateInputs.get('RecheckTenantServices'), {
    executionName,
    startAt: 'RecheckTenantServices',
    redriveCount: 1,
    beforeTask: (state) => {
      if (state !== 'RecheckTenantServices') return;
      looks += 1;
      if (looks === 2) setRunning((desired) => desired);
    },
  });

  // Assert
  expect(redriven, `${redriven.failedState ?? ''} ${redriven.error ?? ''} ${redriven.cause ?? ''}`).toMatchObject({
    status: 'SUCCEEDED',
    executionArn: failed.executionArn,
  });
  expect(looks).toBe(2);
  expect(harness.replies.map((reply) => reply.detailType)).toEqual(['sbt_aws_provisionSuccess']);
});
