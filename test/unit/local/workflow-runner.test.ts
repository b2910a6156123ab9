/**
 * The runner's model of a Lambda invocation: each Task attempt gets its function's own timeout
 * (the CDK construct's), counted from when it has an invocation slot; time queued for a slot
 * counts against nothing; an attempt past the timeout fails as Lambda reports it, and its handler
 * makes no further SDK calls. Fake timers: every duration below is simulated.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoDbClient } from '../../../functions/shared/aws/clients.ts';
import { workflowFunctionTimeoutSeconds } from '../../../infra/constructs/orchestrator-function.ts';
import {
  maxConcurrentInvocations,
  runWorkflow,
  taskFunctionTimeoutSeconds,
  type WorkflowResult,
} from '../../../local/workflow-runner.ts';

/** What AcceptOnboardingRequest answers for a redelivered request: the execution then ends at once. */
const duplicate = { outcome: 'duplicate' };
const input = { detail: { tenantId: 'runner-test' } };

/** Resolves after `ms` of (fake) time. */
const elapse = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a Task attempt on the local runner', () => {
  it("is timed with its function's timeout as the CDK construct configures it", () => {
    expect(taskFunctionTimeoutSeconds).toBe(workflowFunctionTimeoutSeconds);
  });

  it('does not count time queued for an invocation slot: six rounds of 15-second invocations behind the bound all succeed', async () => {
    // Each invocation runs 15 s (under the 20 s function timeout); the last round waits 75 s for a
    // slot, past aws-local-stepfunctions' own 60 s default, which AWS does not have.
    const rounds = 6;
    const runningSeconds = 15;
    const executions = maxConcurrentInvocations * rounds;
    let running = 0;
    let mostAtOnce = 0;
    const results: Promise<WorkflowResult>[] = [];
    for (let n = 0; n < executions; n += 1) {
      results.push(
        runWorkflow('onboarding', input, {
          aroundTask: async () => {
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            await elapse(runningSeconds * 1000);
            running -= 1;
            return duplicate;
          },
        }),
      );
    }
    await vi.advanceTimersByTimeAsync((rounds * runningSeconds + 1) * 1000);
    const settled = await Promise.all(results);

    expect(settled.filter((result) => result.status !== 'SUCCEEDED').map((result) => result.error)).toEqual([]);
    expect(mostAtOnce).toBe(maxConcurrentInvocations);
  });

  it("fails with Sandbox.Timedout once its handler runs past the function's timeout, and the ASL's retrier retries it", async () => {
    const attemptsStarted: number[] = [];
    const result = runWorkflow('onboarding', input, {
      aroundTask: async () => {
        attemptsStarted.push(Date.now());
        await elapse(taskFunctionTimeoutSeconds * 1000 + 1);
        return duplicate;
      },
    });
    const started = Date.now();
    // Just before the timeout the first attempt is still running.
    await vi.advanceTimersByTimeAsync(taskFunctionTimeoutSeconds * 1000 - 1);
    expect(attemptsStarted).toHaveLength(1);
    // At the timeout it fails and is retried at once (retry intervals are 0 ms on the runner).
    await vi.advanceTimersByTimeAsync(1);
    expect(attemptsStarted).toEqual([started, started + taskFunctionTimeoutSeconds * 1000]);
    await vi.advanceTimersByTimeAsync(10 * taskFunctionTimeoutSeconds * 1000);
    const { status, error, history } = await result;

    expect(status).toBe('FAILED');
    expect(error).toBe('Sandbox.Timedout');
    // The ASL's Sandbox.Timedout retrier allows two retries: three attempts in all.
    expect(history.filter((entry) => entry.type === 'StateRetried')).toHaveLength(2);
    expect(attemptsStarted).toHaveLength(3);
  });

  it('stops a timed-out invocation: an SDK call its handler makes afterwards fails without being made', async () => {
    let lateCall: Promise<string> | undefined;
    const result = runWorkflow('onboarding', input, {
      aroundTask: async () => {
        await elapse(taskFunctionTimeoutSeconds * 1000 + 1000);
        lateCall ??= dynamoDbClient()
          .send(new ListTablesCommand({}))
          .then(
            () => 'made',
            (error: Error) => error.name,
          );
        return duplicate;
      },
    });
    await vi.advanceTimersByTimeAsync((taskFunctionTimeoutSeconds + 2) * 1000);

    expect(await lateCall).toBe('Sandbox.Timedout');
    await vi.advanceTimersByTimeAsync(10 * taskFunctionTimeoutSeconds * 1000);
    expect((await result).error).toBe('Sandbox.Timedout');
  });
});
