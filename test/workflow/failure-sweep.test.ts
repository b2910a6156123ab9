/**
 * Replies the control plane can trust, on the embedded runtime: a failure whose status event was
 * dropped (Step Functions delivers them best effort) is still answered, once, by the failure sweep;
 * a failure event that arrives after a redrive or a replay already succeeded never flips the
 * success; and a success after a failure clears the failure's keys.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { onboardingEvent } from '../../cli/requests.ts';
import type { EmbeddedRuntime, ExecutionSummary, LocalRuntimeOptions } from '../../local/runtime/api.ts';
import { envelope } from '../../local/runtime/bus.ts';
import { localStateMachineArn } from '../../local/workflow-runner.ts';
import { kinds, openTestRuntime, registrationData, tenantRecord } from './runtime.fixture.ts';

let opened: Awaited<ReturnType<typeof openTestRuntime>> | undefined;
afterEach(async () => {
  await opened?.dispose();
  opened = undefined;
});

async function open(options: Omit<LocalRuntimeOptions, 'stateDirectory'> = {}): Promise<EmbeddedRuntime> {
  opened = await openTestRuntime(options);
  return opened.runtime as EmbeddedRuntime;
}

/** An onboarding whose tenant stack rolls back: the execution fails at CheckTenantStacks holding the tenant's lock. */
function failingOnboarding(runtime: EmbeddedRuntime) {
  const tenantId = randomUUID();
  const registrationId = randomUUID();
  runtime.failNextStackCreate(`tenant-${tenantId}`, 'Resource handler returned message: "Injected rollback"');
  const event = onboardingEvent(
    { tenantId, registrationId, tenantName: 'initech', tier: 'advanced' },
    randomUUID(),
    new Date('2026-11-20T10:00:00Z'),
  );
  return { tenantId, registrationId, event };
}

/** The status event Step Functions sent for `execution`'s failed attempt, delivered late. */
function lateFailureEvent(execution: ExecutionSummary) {
  return envelope({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: localStateMachineArn(execution.workflow),
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startedAt),
      stopDate: Date.parse(execution.stoppedAt ?? ''),
      redriveCount: execution.redriveCount ?? 0,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  });
}

const cleared = { failureReason: null, failedStep: null, errorName: null, executionArn: null };

describe('a failure whose status event is dropped', () => {
  it('gets no reply from the reporter; the sweep replies once, and a later sweep does not reply again', async () => {
    const runtime = await open({ sweepAfterFailures: false });
    const { tenantId, event } = failingOnboarding(runtime);
    runtime.dropStatusEvents(1);

    const sent = await runtime.send(event, { wait: true });
    const execution = sent.execution!;

    expect(execution).toMatchObject({ status: 'FAILED', failedState: 'CheckTenantStacks' });
    expect(sent.replies).toEqual([]);

    await expect(runtime.sweepFailures()).resolves.toMatchObject({ listed: 1, replied: 1, failed: 0 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure']);
    expect(runtime.replies()[0]?.executionArn).toBe(execution.executionArn);
    expect(registrationData(runtime.replies()[0])).toMatchObject({
      registrationStatus: 'failed',
      failedStep: 'CheckTenantStacks',
      errorName: 'StackCreationFailed',
      executionArn: execution.executionArn,
    });
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({
      lastFailure: { executionArn: execution.executionArn, failedStep: 'CheckTenantStacks' },
    });

    await expect(runtime.sweepFailures()).resolves.toMatchObject({ listed: 1, replied: 1 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure']);
  });

  it('is answered before the execution counts as done when the runtime sweeps after failures (the default)', async () => {
    const runtime = await open();
    const { event } = failingOnboarding(runtime);
    runtime.dropStatusEvents(1);

    const sent = await runtime.send(event, { wait: true });

    expect(kinds(sent.replies)).toEqual(['sbt_aws_provisionFailure']);
    expect(registrationData(sent.replies[0])).toMatchObject({ executionArn: sent.execution?.executionArn });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure']);
  });

  it('a delivered status event and the sweep answer a failure once between them', async () => {
    const runtime = await open();
    const { event } = failingOnboarding(runtime);

    await runtime.send(event, { wait: true });
    await runtime.sweepFailures();

    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure']);
  });
});

describe('a late failure event never flips a success', () => {
  it('after a redrive succeeded: the late event of the failed attempt sends nothing, the success cleared the failure keys', async () => {
    const runtime = await open({ sweepAfterFailures: false });
    const { event } = failingOnboarding(runtime);
    runtime.dropStatusEvents(1);
    const failed = (await runtime.send(event, { wait: true })).execution!;

    const redriven = await runtime.redrive(failed.executionArn, { wait: true });
    await runtime.send(lateFailureEvent(failed));
    await runtime.drain();
    const swept = await runtime.sweepFailures();

    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    expect(registrationData(runtime.replies()[0])).toMatchObject({ registrationStatus: 'created', ...cleared });
    expect(swept).toMatchObject({ listed: 0, replied: 0 });
  });

  it("after a replay of the same registration succeeded: the failed execution's late event sends nothing", async () => {
    const runtime = await open({ sweepAfterFailures: false });
    const { event } = failingOnboarding(runtime);
    runtime.dropStatusEvents(1);
    const failed = (await runtime.send(event, { wait: true })).execution!;

    const replayed = await runtime.replay(failed.executionArn, { wait: true });
    await runtime.send(lateFailureEvent(failed));
    await runtime.drain();
    const swept = await runtime.sweepFailures();

    expect(replayed).toMatchObject({ status: 'SUCCEEDED', replayOf: failed.executionArn });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
    expect(swept).toMatchObject({ listed: 1, replied: 0, notReplied: 1 });
  });

  it('a redriven execution that fails again is answered again, for its new attempt', async () => {
    const runtime = await open({ sweepAfterFailures: false });
    const { tenantId, event } = failingOnboarding(runtime);
    const failed = (await runtime.send(event, { wait: true })).execution!;
    runtime.failNextStackCreate(`tenant-${tenantId}`, 'Resource handler returned message: "Injected rollback again"');

    const again = await runtime.redrive(failed.executionArn, { wait: true });
    await runtime.sweepFailures();

    expect(again).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionFailure', 'sbt_aws_provisionFailure']);
    expect(registrationData(runtime.replies()[1])?.failureReason).toMatch(/Injected rollback again/);
  });
});
