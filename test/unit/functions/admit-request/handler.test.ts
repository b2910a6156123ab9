import 'aws-sdk-client-mock-vitest/extend';
import { Logger } from '@aws-lambda-powertools/logger';
import { ExecutionAlreadyExists, ExecutionLimitExceeded, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readSample } from '../../../../events/samples.ts';
import { lambdaContext } from '../../../../local/workflow-runner.ts';
import { handler } from '../../../../functions/admit-request/handler.ts';

const sfn = mockClient(SFNClient);
// ONBOARDING_STATE_MACHINE_ARN / OFFBOARDING_STATE_MACHINE_ARN in test/setup-env.ts
const onboardingMachine = 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding';
const offboardingMachine = 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-offboarding';

const context = lambdaContext('admit-request');

const onboarding = readSample('onboarding-premium');
const offboarding = readSample('offboarding-premium');
const email = String(onboarding.detail.email);
const executionArn = `arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:${String(onboarding.id)}`;

let logged: ReturnType<typeof vi.spyOn>[];
const loggedText = () => JSON.stringify(logged.flatMap((spy) => spy.mock.calls));

beforeEach(() => {
  sfn.reset();
  vi.restoreAllMocks();
  logged = (['info', 'warn', 'error'] as const).map((level) => vi.spyOn(Logger.prototype, level));
});

describe('admit-request handler', () => {
  it('starts the onboarding workflow named after the event id, with an input that has no e-mail', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });

    const output = await handler(onboarding, context);

    expect(output).toEqual({ outcome: 'started', operation: 'onboarding', executionArn });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(onboardingMachine);
    expect(call.name).toBe(onboarding.id);
    expect(JSON.parse(call.input ?? '')).toEqual({
      version: '0',
      id: onboarding.id,
      source: 'sbt.control.plane',
      'detail-type': 'sbt_aws_onboardingRequest',
      time: onboarding.time,
      region: 'us-east-1',
      account: '111122223333',
      resources: [],
      detail: {
        tenantId: onboarding.detail.tenantId,
        tenantRegistrationId: onboarding.detail.tenantRegistrationId,
        tenantName: 'acme',
        tier: 'premium',
      },
    });
    expect(call.input).not.toContain(email);
    expect(loggedText()).not.toContain(email);
  });

  it('starts the offboarding workflow for an offboarding request', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });

    await handler(offboarding, context);

    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: offboardingMachine,
      name: String(offboarding.id),
    });
  });

  it('a redelivered event (ExecutionAlreadyExists) is a duplicate: logged, not an error', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, $metadata: {} }));

    const output = await handler(onboarding, context);

    expect(output).toEqual({ outcome: 'duplicate', operation: 'onboarding', executionArn });
    expect(logged[0]).toHaveBeenCalledWith(
      'Request already admitted: an execution has its name',
      expect.objectContaining({ executionArn }),
    );
  });

  it.each([
    [
      'throttling',
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
      'TransientAwsError',
    ],
    [
      'a 5xx',
      Object.assign(new Error('Internal'), {
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
      'TransientAwsError',
    ],
    [
      'the open-executions quota',
      new ExecutionLimitExceeded({
        message: 'The maximum number of running executions has been reached',
        $metadata: {},
      }),
      'ExecutionLimitExceeded',
    ],
  ])('throws on %s, so Lambda retries the invocation and then dead-letters it', async (_, error, name) => {
    sfn.on(StartExecutionCommand).rejects(error);

    await expect(handler(onboarding, context)).rejects.toMatchObject({ name });
  });

  it('a request without a registration id starts nothing and is logged as an unanswerable rejection', async () => {
    const { tenantRegistrationId: _id, ...detail } = onboarding.detail;

    const output = await handler({ ...onboarding, detail }, context);

    expect(output).toEqual({ outcome: 'rejected', operation: 'onboarding' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(logged[2]).toHaveBeenCalledWith(
      'Request rejected and cannot be answered',
      expect.objectContaining({
        rejected: true,
        errorName: 'InvalidRequest',
        reason: expect.stringMatching(/detail\.tenantRegistrationId: is required/),
      }),
    );
    expect(loggedText()).not.toContain(email);
  });

  it('an invalid request that can be addressed still starts its workflow: the accept step refuses it and the failure reporter replies', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });

    const output = await handler(
      { ...onboarding, detail: { ...onboarding.detail, tenantId: 'x'.repeat(200_000) } },
      context,
    );

    expect(output.outcome).toBe('started');
    const input = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input ?? '';
    expect(input.length).toBeLessThan(1024);
    expect(JSON.parse(input).detail.tenantId).toHaveLength(64);
  });
});
