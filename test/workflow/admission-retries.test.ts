/**
 * The local runtime's model of what Lambda and EventBridge do around the admission function: a
 * request whose workflow cannot be started (Step Functions throttling, or its open-executions
 * quota) makes the admission function fail; the runtime invokes it again with backoff (Lambda's
 * asynchronous retries) and, past the last attempt, keeps the request in its dead-letter queue,
 * which survives a restart; its redrive starts it once and the control plane gets one success
 * reply. This checks the simulator's retry and dead-letter model end to end with the real
 * workflows; the product's own part (the function throws, a started execution counts as started,
 * the AWS redrive tool starts a request once) is tested on the product's code in
 * test/unit/functions/admit-request/handler-delivery-safety.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onboardingEvent } from '../../cli/requests.ts';
import type { EmbeddedRuntime } from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';

const timings = { createMs: 20, deleteMs: 20, startLooks: 0, waitMs: 5 };
/** Invocations of the admission function per request: the first and Lambda's two retries. */
const startAttempts = 3;

let directory: string;
let runtime: EmbeddedRuntime;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'admission-retries-'));
  runtime = await openLocalRuntime({ stateDirectory: directory, timings });
});
afterEach(async () => {
  await runtime.close();
  rmSync(directory, { recursive: true, force: true });
});

function request(tier = 'advanced') {
  const tenantId = randomUUID();
  const registrationId = randomUUID();
  const event = onboardingEvent(
    { tenantId, registrationId, tenantName: 'globex', tier },
    randomUUID(),
    new Date('2026-11-20T10:00:00Z'),
  );
  return { tenantId, registrationId, event };
}

/** What the tenant has: executions, replies by kind, live stacks and rules, registry status. */
async function footprint(tenantId: string) {
  const resources = runtime.resources();
  return {
    executions: runtime
      .executions()
      .filter((execution) => execution.tenantId === tenantId)
      .map((execution) => execution.status),
    replies: runtime
      .replies()
      .filter((reply) => reply.detail.tenantId === tenantId)
      .map((reply) => reply.detailType),
    stacks: resources.stacks.filter((stack) => stack.tags.tenantId === tenantId).map((stack) => stack.status),
    rules: resources.rules.filter((rule) => rule.tenantId === tenantId).length,
    status: (await runtime.tenants()).find((tenant) => tenant.tenantId === tenantId)?.status,
  };
}

const provisioned = {
  executions: ['SUCCEEDED'],
  replies: ['sbt_aws_provisionSuccess'],
  stacks: ['CREATE_COMPLETE'],
  rules: 1,
  status: 'ACTIVE',
};

describe('a throttled workflow start is retried by invoking the admission function again', () => {
  it.each(['throttled', 'quota'] as const)(
    '%s for fewer attempts than the policy: the workflow starts on a retry and provisions once',
    async (kind) => {
      const { tenantId, event } = request();
      runtime.startExecutionFailures(startAttempts - 1, kind);

      const result = await runtime.send(event, { wait: true });

      expect(result).toMatchObject({ workflow: 'onboarding', delivery: 'retried', execution: { status: 'SUCCEEDED' } });
      expect(await footprint(tenantId)).toEqual(provisioned);
      expect(runtime.deadLetters()).toEqual([]);
    },
  );

  it('a send that does not wait says the start is being retried; draining finds it started', async () => {
    const { tenantId, event } = request('basic');
    runtime.startExecutionFailures(1, 'throttled');

    const result = await runtime.send(event);
    await runtime.drain();

    expect(result).toEqual({ workflow: 'onboarding', delivery: 'retrying', replies: [] });
    expect(await footprint(tenantId)).toEqual({ ...provisioned, stacks: [] });
  });
});

describe('past the retry policy the request waits in the dead-letter queue', () => {
  it('is kept (across a restart), not answered, not provisioned; a redrive provisions it once with one success reply', async () => {
    const { tenantId, registrationId, event } = request();
    runtime.startExecutionFailures(startAttempts, 'quota');

    const result = await runtime.send(event, { wait: true });

    expect(result).toEqual({ workflow: 'onboarding', delivery: 'dead-lettered', replies: [] });
    expect(await footprint(tenantId)).toEqual({ executions: [], replies: [], stacks: [], rules: 0, status: undefined });
    expect(runtime.deadLetters()).toEqual([
      {
        id: expect.any(String),
        at: expect.any(String),
        rule: 'start-onboarding',
        errorCode: 'RESOURCE_LIMIT_EXCEEDED',
        errorMessage: expect.stringMatching(/^ExecutionLimitExceeded: /),
        attempts: startAttempts,
        event: expect.objectContaining({
          id: event.id,
          time: event.time,
          detail: expect.objectContaining({ tenantId, tenantRegistrationId: registrationId }),
        }),
      },
    ]);

    await runtime.close();
    runtime = await openLocalRuntime({ stateDirectory: directory, timings });
    expect(runtime.deadLetters()).toHaveLength(1);

    const [redriven, ...others] = await runtime.redriveDeadLetters({ wait: true });

    expect(others).toEqual([]);
    expect(redriven?.result).toMatchObject({
      workflow: 'onboarding',
      execution: { status: 'SUCCEEDED' },
      replies: [expect.objectContaining({ detailType: 'sbt_aws_provisionSuccess' })],
    });
    expect(runtime.deadLetters()).toEqual([]);
    expect(await footprint(tenantId)).toEqual(provisioned);
    // Started from the original event: named after its id, ordered by its time (the accept step orders a tenant's requests by it).
    expect(redriven?.result.execution?.name).toBe(event.id);
    expect((await runtime.tenants()).find((tenant) => tenant.tenantId === tenantId)?.lastRequestAt).toBe(event.time);
  });

  it('a redrive while starts still fail leaves the request in the queue; the next redrive provisions it once', async () => {
    const { tenantId, event } = request('basic');
    runtime.startExecutionFailures(startAttempts, 'throttled');
    await runtime.send(event, { wait: true });
    const [first] = runtime.deadLetters();
    // A redrive hands the letter to the admission function once (as the AWS tool calls it once per message).
    runtime.startExecutionFailures(1, 'throttled');

    const again = await runtime.redriveDeadLetters({ wait: true });

    expect(again.map((letter) => letter.result.delivery)).toEqual(['dead-lettered']);
    expect(runtime.deadLetters()).toEqual([first]);
    expect(first).toMatchObject({
      errorCode: 'THROTTLING',
      errorMessage: expect.stringMatching(/^TransientAwsError: StartExecution failed transiently: ThrottlingException/),
    });
    expect((await footprint(tenantId)).executions).toEqual([]);

    await runtime.redriveDeadLetters({ wait: true });

    expect(runtime.deadLetters()).toEqual([]);
    expect(await footprint(tenantId)).toEqual({ ...provisioned, stacks: [] });
    expect(await runtime.redriveDeadLetters({ wait: true })).toEqual([]);
    expect((await footprint(tenantId)).executions).toEqual(['SUCCEEDED']);
  });

  it('reset empties the dead-letter queue, on disk too', async () => {
    runtime.startExecutionFailures(startAttempts, 'throttled');
    await runtime.send(request('basic').event, { wait: true });

    await runtime.reset();
    await runtime.close();
    runtime = await openLocalRuntime({ stateDirectory: directory, timings });

    expect(runtime.deadLetters()).toEqual([]);
  });
});
