import { describe, expect, it } from 'vitest';
import {
  assertUpdatable,
  decideStack,
  needsAttentionError,
  needsSlot,
  ownedByThisAttempt,
  planConvergence,
  stackFailureError,
  StackVerdict,
  type AttemptState,
} from '../../../../functions/converge-stacks/converge.ts';
import { clientRequestToken, type ObservedStack } from '../../../../functions/shared/aws/stacks.ts';

const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-suspension:t1';
const suspended = { TenantSuspended: 'true' };

function stack(status: string, extra: Partial<ObservedStack> = {}): ObservedStack {
  return {
    stackName: 'tenant-t1',
    stackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenant-t1/0a1b',
    status,
    outputs: { ClusterName: 'shared', ServiceNames: 'tenant-t1-api' },
    tags: {},
    parameters: { TenantId: 't1', TenantSuspended: 'false' },
    ...extra,
  };
}

function attempt(overrides: Partial<AttemptState> = {}): AttemptState {
  return {
    executionArn,
    polls: 0,
    elapsedSeconds: 0,
    queuedSeconds: 0,
    redriveCount: 0,
    issued: [],
    redriven: false,
    ...overrides,
  };
}

const ownUpdate = clientRequestToken('update', executionArn, 0, 'tenant-t1');

describe('decideStack toward "updated" (suspend and resume)', () => {
  it('updates a stack at rest without the values, and leaves one that has them', () => {
    for (const status of ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']) {
      expect(decideStack('updated', stack(status), false, suspended), status).toBe(StackVerdict.update);
      const done = stack(status, { parameters: { TenantSuspended: 'true' } });
      expect(decideStack('updated', done, false, suspended), status).toBe(StackVerdict.settled);
    }
  });

  it("waits while CloudFormation works on it, an update's rollback included", () => {
    for (const status of ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'])
      expect(decideStack('updated', stack(status), false, suspended), status).toBe(StackVerdict.waiting);
  });

  it("reports this attempt's rolled-back update, and updates again after another attempt's", () => {
    expect(decideStack('updated', stack('UPDATE_ROLLBACK_COMPLETE'), true, suspended)).toBe(StackVerdict.updateFailed);
    expect(decideStack('updated', stack('UPDATE_ROLLBACK_COMPLETE'), false, suspended)).toBe(StackVerdict.update);
  });

  it('never retries a stack stuck in UPDATE_ROLLBACK_FAILED, and never repairs a missing or failed one', () => {
    expect(decideStack('updated', stack('UPDATE_ROLLBACK_FAILED'), true, suspended)).toBe(StackVerdict.updateFailed);
    expect(decideStack('updated', stack('UPDATE_ROLLBACK_FAILED'), false, suspended)).toBe(StackVerdict.needsAttention);
    expect(decideStack('updated', undefined, false, suspended)).toBe(StackVerdict.needsAttention);
    expect(decideStack('updated', stack('ROLLBACK_COMPLETE'), false, suspended)).toBe(StackVerdict.needsAttention);
  });

  it('needs a stack-operation slot to update', () => {
    expect(needsSlot([{ spec: { stackName: 'tenant-t1' }, stack: stack('CREATE_COMPLETE'), verdict: 'update' }])).toBe(
      true,
    );
  });
});

describe('ownership of a rolled-back update', () => {
  it('is read from the token of the update that rolled back, not from the attempt tag', () => {
    const own = stack('UPDATE_ROLLBACK_COMPLETE', { updateRequestToken: ownUpdate });
    const another = stack('UPDATE_ROLLBACK_COMPLETE', {
      updateRequestToken: clientRequestToken('update', `${executionArn}-other`, 0, 'tenant-t1'),
    });

    expect(ownedByThisAttempt(own, attempt())).toBe(true);
    expect(ownedByThisAttempt(own, attempt({ redriveCount: 1 }))).toBe(false);
    expect(ownedByThisAttempt(another, attempt({ issued: ['tenant-t1'] }))).toBe(false);
  });
});

describe('planConvergence toward "updated"', () => {
  it('fails with the rolled-back update, naming the stack and the first failing resource', () => {
    const observed = [
      { spec: { stackName: 'tenant-t1' }, stack: stack('UPDATE_ROLLBACK_COMPLETE', { updateRequestToken: ownUpdate }) },
    ];

    const plan = planConvergence('updated', observed, attempt(), 3600, suspended);

    expect(plan.outcome).toBe('failed');
    if (plan.outcome !== 'failed') return;
    const error = stackFailureError(plan.decision, 'Service0 (AWS::ECS::Service): did not stabilize');
    expect(error.name).toBe('StackUpdateFailed');
    expect(error.message).toBe(
      'Stack tenant-t1 failed to update and rolled back to its previous state: Service0 (AWS::ECS::Service): did not stabilize',
    );
  });

  it('says a stack stuck in UPDATE_ROLLBACK_FAILED needs ContinueUpdateRollback or an operator', () => {
    const observed = [
      { spec: { stackName: 'tenant-t1' }, stack: stack('UPDATE_ROLLBACK_FAILED', { updateRequestToken: ownUpdate }) },
    ];

    const plan = planConvergence('updated', observed, attempt(), 3600, suspended);

    if (plan.outcome !== 'failed') throw new Error(`expected failed, got ${plan.outcome}`);
    expect(stackFailureError(plan.decision, undefined).message).toMatch(
      /^Stack tenant-t1 failed to update and its rollback failed too; it is in UPDATE_ROLLBACK_FAILED/,
    );
  });

  it('names the state of a stack it cannot update', () => {
    const plan = planConvergence(
      'updated',
      [{ spec: { stackName: 'tenant-t1' }, stack: undefined }],
      attempt(),
      3600,
      suspended,
    );

    if (plan.outcome !== 'needs-attention') throw new Error(`expected needs-attention, got ${plan.outcome}`);
    expect(needsAttentionError(plan.decision, 'updated')).toMatchObject({
      name: 'StackUpdateFailed',
      message: 'Stack tenant-t1 cannot be updated: it is in not found and needs manual attention',
    });
  });

  it('refuses an update loop without parameter values (a definition bug)', () => {
    expect(() => assertUpdatable('updated', undefined)).toThrow(/needs parameterValues/);
    expect(() => assertUpdatable('updated', {})).toThrow(/needs parameterValues/);
    expect(() => assertUpdatable('present', undefined)).not.toThrow();
  });
});
