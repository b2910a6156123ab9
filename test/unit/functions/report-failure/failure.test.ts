import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  executionNameOf,
  maxFailureReasonLength,
  messageOfCause,
} from '../../../../functions/report-failure/failure.ts';

const redriveHint = 'Fix the cause, then redrive execution reg-1 from the Step Functions console.';

function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({
    errorType,
    errorMessage,
    trace: [`${errorType}: ${errorMessage}`, '    at handler (/var/task/index.mjs:1:1)'],
  });
}

describe('messageOfCause', () => {
  it('takes errorMessage out of a Lambda cause', () => {
    expect(messageOfCause(lambdaCause('StackCreationFailed', 'Resource Service failed'))).toBe(
      'Resource Service failed',
    );
  });

  it('keeps a plain-text cause as it is', () => {
    expect(messageOfCause('Task timed out after 30.00 seconds')).toBe('Task timed out after 30.00 seconds');
  });

  it('keeps a JSON cause without a message field whole', () => {
    expect(messageOfCause('{"code":42}')).toBe('{"code":42}');
  });

  it('has nothing to say about an empty cause', () => {
    expect(messageOfCause(null)).toBeUndefined();
    expect(messageOfCause('  ')).toBeUndefined();
  });
});

describe('describeFailure', () => {
  it('uses the Lambda error message and ends with the redrive hint', () => {
    const failure = describeFailure(
      'FAILED',
      'StackCreationFailed',
      lambdaCause('StackCreationFailed', 'Stack tenant-t1 rolled back: Resource TaskRole failed: access denied'),
      'CreateTenantStacks',
      'reg-1',
    );

    expect(failure).toEqual({
      failureReason: `Step CreateTenantStacks failed with StackCreationFailed: Stack tenant-t1 rolled back: Resource TaskRole failed: access denied. ${redriveHint}`,
      failedStep: 'CreateTenantStacks',
      errorName: 'StackCreationFailed',
    });
  });

  it.each(['InvalidRequest', 'UnknownTier', 'TenantAlreadyActive', 'TenantIdConflict'])(
    'asks for a corrected request instead of a redrive for %s',
    (errorName) => {
      const failure = describeFailure(
        'FAILED',
        errorName,
        lambdaCause(errorName, 'bad request'),
        'AcceptOnboardingRequest',
        'reg-1',
      );

      expect(failure.failureReason).toBe(
        `Step AcceptOnboardingRequest failed with ${errorName}: bad request. Correct the request and send it again; a redrive would fail the same way.`,
      );
      expect(failure.failureReason).not.toContain('redrive execution');
    },
  );

  it('explains a timed-out execution', () => {
    expect(describeFailure('TIMED_OUT', 'States.Timeout', null, 'RecheckTenantServices', 'reg-1')).toEqual({
      failureReason: `The execution timed out while in step RecheckTenantServices: it ran longer than the workflow allows. ${redriveHint}`,
      failedStep: 'RecheckTenantServices',
      errorName: 'States.Timeout',
    });
  });

  it('names States.Timeout for a timed-out execution that reports no error', () => {
    expect(describeFailure('TIMED_OUT', null, null, 'Unknown', 'reg-1')).toMatchObject({
      failureReason: `The execution timed out: it ran longer than the workflow allows. ${redriveHint}`,
      errorName: 'States.Timeout',
    });
  });

  it('explains a step that timed out', () => {
    expect(describeFailure('FAILED', 'States.Timeout', '', 'RegisterTenantRoute', 'reg-1').failureReason).toBe(
      `Step RegisterTenantRoute timed out: it ran longer than its timeout. ${redriveHint}`,
    );
  });

  it('explains an aborted execution', () => {
    expect(describeFailure('ABORTED', null, null, 'CheckTenantStacks', 'reg-1')).toEqual({
      failureReason: `The execution was stopped (aborted) before it finished. ${redriveHint}`,
      failedStep: 'CheckTenantStacks',
      errorName: 'ExecutionAborted',
    });
  });

  it('keeps the reason an operator gave when stopping the execution', () => {
    expect(describeFailure('ABORTED', 'Operator', 'Wrong tier chosen', 'CheckTenantStacks', 'reg-1')).toMatchObject({
      failureReason: `The execution was stopped (aborted) before it finished: Wrong tier chosen. ${redriveHint}`,
      errorName: 'Operator',
    });
  });

  it('reports an unknown error with its raw cause', () => {
    expect(
      describeFailure('FAILED', 'Lambda.ServiceException', 'Lambda is unavailable', 'ActivateTenant', 'reg-1')
        .failureReason,
    ).toBe(`Step ActivateTenant failed with Lambda.ServiceException: Lambda is unavailable. ${redriveHint}`);
  });

  it('says so when neither error nor cause is known', () => {
    expect(describeFailure('FAILED', undefined, undefined, 'Unknown', 'reg-1')).toEqual({
      failureReason: `The execution failed without an error name. ${redriveHint}`,
      failedStep: 'Unknown',
      errorName: 'Unknown',
    });
  });

  it('redacts anything that looks like an e-mail address', () => {
    const cause = lambdaCause(
      'InvalidRequest',
      'Tenant admin@acme.example (or First.Last+ops@mail.acme.co.uk) is not allowed',
    );

    const failure = describeFailure('FAILED', 'InvalidRequest', cause, 'AcceptOnboardingRequest', 'reg-1');

    expect(failure.failureReason).toBe(
      'Step AcceptOnboardingRequest failed with InvalidRequest: Tenant [redacted] (or [redacted]) is not allowed. ' +
        'Correct the request and send it again; a redrive would fail the same way.',
    );
    expect(failure.failureReason).not.toMatch(/@/);
  });

  it('flattens multi-line messages into one line', () => {
    const cause = lambdaCause('StackDeletionFailed', 'first line\n\tsecond line\r\nthird');

    expect(describeFailure('FAILED', 'StackDeletionFailed', cause, 'DeleteTenantStacks', 'reg-1').failureReason).toBe(
      `Step DeleteTenantStacks failed with StackDeletionFailed: first line second line third. ${redriveHint}`,
    );
  });

  it('truncates to 1000 characters and still ends with the hint', () => {
    const cause = lambdaCause('StackCreationFailed', `${'x'.repeat(1500)} admin@acme.example`);

    const { failureReason } = describeFailure('FAILED', 'StackCreationFailed', cause, 'CreateTenantStacks', 'reg-1');

    expect(failureReason).toHaveLength(maxFailureReasonLength);
    expect(failureReason.endsWith(`… ${redriveHint}`)).toBe(true);
    expect(failureReason.startsWith('Step CreateTenantStacks failed with StackCreationFailed: xxxx')).toBe(true);
  });
});

describe('describeFailure on a 1 MB cause', () => {
  // A worst case for the old regular expression (minutes); vitest's test timeout is the guard.
  it('redacts, then cuts the reason to its limit', () => {
    const cause = lambdaCause('InvalidRequest', `admin@acme.example ${'a.'.repeat(512 * 1024)}`);

    const { failureReason } = describeFailure('FAILED', 'InvalidRequest', cause, 'AcceptOnboardingRequest', 'reg-1');

    expect(failureReason).toHaveLength(maxFailureReasonLength);
    expect(failureReason.startsWith('Step AcceptOnboardingRequest failed with InvalidRequest: [redacted] a.a.a.')).toBe(
      true,
    );
    expect(failureReason.endsWith('… Correct the request and send it again; a redrive would fail the same way.')).toBe(
      true,
    );
  });
});

describe('executionNameOf', () => {
  it('takes the last segment of the execution ARN', () => {
    expect(executionNameOf('arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:reg-1')).toBe('reg-1');
  });
});
