/**
 * A redrive gives each polling loop a fresh budget: the failed state runs again with its old input
 * (the old progress, whose elapsed time reached the deadline) and only `$$.Execution.RedriveCount`
 * tells the handler that a new attempt began. The runtime redrives as Step Functions does: the same
 * execution (same name, so the tenant's lock still names it) resumes at the failed state with that
 * state's input and RedriveCount 1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import type { EmbeddedRuntime } from '../../local/runtime/api.ts';
import { enteredStates, fastTimings, kinds, openTestRuntime } from './runtime.fixture.ts';

// The services deadline is one wait: the loop looks at 0 s, waits 8 s (logical), looks again at the
// deadline and fails there, at RecheckTenantServices. The check-services handler reads it at its first import.
process.env.SERVICES_TIMEOUT_SECONDS = '8';
/** Looks the first execution takes before it fails: VerifyTenantServices and one RecheckTenantServices. */
const looksBeforeFailure = 2;

let runtime: EmbeddedRuntime;
let dispose: () => Promise<void>;
beforeAll(async () => {
  // The services start only after the failed execution's looks and the redrive's first one: the
  // operator fixed them, but their tasks are not up yet when the redriven state first looks.
  // The waiting step between two looks (WaitForTenantServices) looks once too, before its fallback look.
  ({ runtime, dispose } = await openTestRuntime({ timings: { ...fastTimings, startLooks: looksBeforeFailure + 2 } }));
});
afterAll(async () => {
  await dispose();
});

it('a redrive after ServicesNotStable at RecheckTenantServices waits for the services again instead of failing on its first look', async () => {
  // Arrange: the tenant's services run no task before the loop's deadline.
  const event = readSample('onboarding-advanced');
  const tenantId = String(event.detail.tenantId);
  const looks = (executionArn: string) =>
    enteredStates(runtime, executionArn).filter(
      (state) => state === 'VerifyTenantServices' || state === 'RecheckTenantServices',
    ).length;
  const { execution: failed } = await runtime.send(event, { wait: true });
  if (failed === undefined) throw new Error('the request started no execution');
  expect(failed).toMatchObject({ status: 'FAILED', failedState: 'RecheckTenantServices', error: 'ServicesNotStable' });
  expect(looks(failed.executionArn)).toBe(looksBeforeFailure);
  expect(
    runtime.resources().services.filter((service) => service.serviceName.includes(tenantId)).length,
  ).toBeGreaterThan(0);

  // Act
  const redriven = await runtime.redrive(failed.executionArn, { wait: true });

  // Assert: it looked again and, the services still starting, waited (WaitForTenantServices, whose own
  // look then found them running) rather than failing on its first look.
  expect(redriven, `${redriven.failedState ?? ''} ${redriven.error ?? ''} ${redriven.cause ?? ''}`).toMatchObject({
    status: 'SUCCEEDED',
    redriveCount: 1,
    executionArn: failed.executionArn,
  });
  expect(looks(failed.executionArn) - looksBeforeFailure).toBe(1);
  const states = enteredStates(runtime, failed.executionArn);
  expect(states.slice(states.lastIndexOf('RecheckTenantServices'))).toEqual([
    'RecheckTenantServices',
    'AreTenantServicesStable',
    'WaitForTenantServices',
    'ActivateTenant',
    'SendProvisionSuccess',
    'TenantOnboarded',
  ]);
  // The failure reporter answered the first attempt; the redriven one replies success, once.
  expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_provisionSuccess']);
});
