import { describe, expect, it } from 'vitest';
import {
  stackFallbackSeconds,
  assertCreatable,
  beginCall,
  decideStack,
  mergeOutputs,
  needsAttentionError,
  nextProgress,
  nextWaitSeconds,
  planConvergence,
  stackFailureError,
  StackVerdict,
  timeoutError,
  withExtraParameters,
  ownedByThisAttempt,
  type AttemptState,
  type StackDecision,
} from '../../../../functions/converge-stacks/converge.ts';
import {
  attemptTagKey,
  attemptTagValue,
  clientRequestToken,
  type ObservedStack,
} from '../../../../functions/shared/aws/stacks.ts';
import type { StackProgress, StackSpec } from '../../../../functions/shared/step/schemas.ts';

const timeout = 3600;

function stack(status: string, extra: Partial<ObservedStack> = {}): ObservedStack {
  return {
    stackName: 'tenant-t1',
    stackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenant-t1/0a1b',
    status,
    outputs: {},
    tags: {},
    ...extra,
  };
}

const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:t1';
const request = { executionArn };

const spec: StackSpec = { stackName: 'tenant-t1', templateUrl: 'https://templates.example/t.json' };

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

function progress(overrides: Partial<StackProgress> = {}): StackProgress {
  return {
    ready: false,
    polls: 3,
    waitSeconds: 23,
    elapsedSeconds: 25,
    redriveCount: 0,
    issued: ['tenant-t1'],
    outputs: {},
    ...overrides,
  };
}

describe('nextWaitSeconds', () => {
  it('starts at 30 s (tenant stacks take minutes), grows by half and levels off at 60 s', () => {
    const waits = [0, 1, 2, 3, 4, 5, 6, 50, 5000].map(nextWaitSeconds);

    expect(waits).toEqual([30, 45, 60, 60, 60, 60, 60, 60, 60]);
  });

  it('keeps a one-hour loop under a hundred looks (far below the 25,000-event history limit)', () => {
    let elapsed = 0;
    let polls = 0;
    while (elapsed < 3600) {
      elapsed += nextWaitSeconds(polls);
      polls += 1;
    }

    expect(polls).toBeLessThan(100);
    expect(polls * 9).toBeLessThan(25_000 / 20);
  });
});

describe('beginCall', () => {
  it('starts a fresh attempt on the first call with the input redrive count', () => {
    expect(beginCall({ request, redriveCount: 2 })).toEqual({
      executionArn,
      polls: 0,
      elapsedSeconds: 0,
      queuedSeconds: 0,
      redriveCount: 2,
      issued: [],
      redriven: false,
    });
  });

  it('continues the loop, adding the previous wait to the elapsed time', () => {
    expect(beginCall({ request, redriveCount: 0, progress: progress() })).toEqual({
      executionArn,
      polls: 3,
      elapsedSeconds: 48,
      queuedSeconds: 0,
      redriveCount: 0,
      issued: ['tenant-t1'],
      redriven: false,
    });
  });

  it('resets issued stacks, looks and time after a redrive and takes the new redrive count', () => {
    const result = beginCall({
      request,
      redriveCount: 1,
      progress: progress({ polls: 40, elapsedSeconds: 3590, waitSeconds: 10 }),
    });

    expect(result).toEqual({
      executionArn,
      polls: 0,
      elapsedSeconds: 0,
      queuedSeconds: 0,
      redriveCount: 1,
      issued: [],
      redriven: true,
    });
  });
});

describe('ownedByThisAttempt', () => {
  const taggedBy = (arn: string, redriveCount: number) => ({
    tags: { tenantId: 't1', [attemptTagKey]: attemptTagValue(arn, redriveCount) },
  });
  const deletedBy = (arn: string, redriveCount: number) => ({
    deleteRequestToken: clientRequestToken('delete', arn, redriveCount, 'tenant-t1'),
  });

  it.each<[string, ObservedStack, Partial<AttemptState>, boolean]>([
    [
      'a failed create tagged by this attempt, missing from issued (a lost output)',
      stack('ROLLBACK_COMPLETE', taggedBy(executionArn, 1)),
      { redriveCount: 1 },
      true,
    ],
    [
      'a failed create tagged by the attempt before the redrive, although issued',
      stack('ROLLBACK_COMPLETE', taggedBy(executionArn, 0)),
      { redriveCount: 1, issued: ['tenant-t1'] },
      false,
    ],
    [
      'a failed create tagged by another execution',
      stack('CREATE_FAILED', taggedBy(`${executionArn}-other`, 0)),
      { issued: ['tenant-t1'] },
      false,
    ],
    [
      'an untagged failed create (previous release) this attempt issued',
      stack('ROLLBACK_FAILED'),
      { issued: ['tenant-t1'] },
      true,
    ],
    ['an untagged failed create this attempt did not issue', stack('ROLLBACK_COMPLETE'), {}, false],
    [
      "a failed delete with this attempt's token, missing from issued (a lost output)",
      stack('DELETE_FAILED', deletedBy(executionArn, 0)),
      {},
      true,
    ],
    [
      'a failed delete by an earlier attempt, of a stack this attempt created',
      stack('DELETE_FAILED', { ...taggedBy(executionArn, 1), ...deletedBy(executionArn, 0) }),
      { redriveCount: 1, issued: ['tenant-t1'] },
      false,
    ],
    [
      'a failed delete whose events name no token, issued by this attempt',
      stack('DELETE_FAILED'),
      { issued: ['tenant-t1'] },
      true,
    ],
    [
      'a failed delete whose events name no token, not issued',
      stack('DELETE_FAILED', taggedBy(executionArn, 0)),
      {},
      false,
    ],
  ])('%s -> %s', (_label, observed, overrides, expected) => {
    expect(ownedByThisAttempt(observed, attempt(overrides))).toBe(expected);
  });
});

describe('decideStack for desired "present"', () => {
  it.each([
    ['not found', StackVerdict.create, undefined, false],
    ['DELETE_COMPLETE', StackVerdict.create, stack('DELETE_COMPLETE'), false],
    ['CREATE_IN_PROGRESS', StackVerdict.waiting, stack('CREATE_IN_PROGRESS'), true],
    ['ROLLBACK_IN_PROGRESS', StackVerdict.waiting, stack('ROLLBACK_IN_PROGRESS'), true],
    ['DELETE_IN_PROGRESS', StackVerdict.waiting, stack('DELETE_IN_PROGRESS'), true],
    ['UPDATE_IN_PROGRESS', StackVerdict.waiting, stack('UPDATE_IN_PROGRESS'), false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', StackVerdict.waiting, stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'), false],
    ['UPDATE_ROLLBACK_IN_PROGRESS', StackVerdict.waiting, stack('UPDATE_ROLLBACK_IN_PROGRESS'), false],
    ['REVIEW_IN_PROGRESS', StackVerdict.waiting, stack('REVIEW_IN_PROGRESS'), false],
    ['IMPORT_IN_PROGRESS', StackVerdict.waiting, stack('IMPORT_IN_PROGRESS'), false],
    ['CREATE_COMPLETE', StackVerdict.settled, stack('CREATE_COMPLETE'), true],
    ['UPDATE_COMPLETE', StackVerdict.settled, stack('UPDATE_COMPLETE'), false],
    ['UPDATE_ROLLBACK_COMPLETE', StackVerdict.settled, stack('UPDATE_ROLLBACK_COMPLETE'), false],
    ['ROLLBACK_COMPLETE issued this attempt', StackVerdict.creationFailed, stack('ROLLBACK_COMPLETE'), true],
    ['ROLLBACK_FAILED issued this attempt', StackVerdict.creationFailed, stack('ROLLBACK_FAILED'), true],
    ['CREATE_FAILED issued this attempt', StackVerdict.creationFailed, stack('CREATE_FAILED'), true],
    ['ROLLBACK_COMPLETE left by an earlier attempt', StackVerdict.delete, stack('ROLLBACK_COMPLETE'), false],
    ['ROLLBACK_FAILED left by an earlier attempt', StackVerdict.delete, stack('ROLLBACK_FAILED'), false],
    ['CREATE_FAILED left by an earlier attempt', StackVerdict.delete, stack('CREATE_FAILED'), false],
    ['DELETE_FAILED issued this attempt', StackVerdict.deletionFailed, stack('DELETE_FAILED'), true],
    ['DELETE_FAILED left by an earlier attempt', StackVerdict.delete, stack('DELETE_FAILED'), false],
    ['UPDATE_ROLLBACK_FAILED', StackVerdict.needsAttention, stack('UPDATE_ROLLBACK_FAILED'), false],
    ['UPDATE_FAILED', StackVerdict.needsAttention, stack('UPDATE_FAILED'), true],
    ['IMPORT_COMPLETE', StackVerdict.needsAttention, stack('IMPORT_COMPLETE'), false],
    ['IMPORT_ROLLBACK_COMPLETE', StackVerdict.needsAttention, stack('IMPORT_ROLLBACK_COMPLETE'), false],
    ['IMPORT_ROLLBACK_FAILED', StackVerdict.needsAttention, stack('IMPORT_ROLLBACK_FAILED'), false],
  ])('%s -> %s', (_label, expected, observed, issued) => {
    expect(decideStack('present', observed, issued)).toBe(expected);
  });
});

describe('decideStack for desired "absent"', () => {
  it.each([
    ['not found', StackVerdict.settled, undefined, false],
    ['DELETE_COMPLETE', StackVerdict.settled, stack('DELETE_COMPLETE'), true],
    ['DELETE_IN_PROGRESS', StackVerdict.waiting, stack('DELETE_IN_PROGRESS'), true],
    ['CREATE_IN_PROGRESS', StackVerdict.waiting, stack('CREATE_IN_PROGRESS'), false],
    ['ROLLBACK_IN_PROGRESS', StackVerdict.waiting, stack('ROLLBACK_IN_PROGRESS'), false],
    [
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      StackVerdict.waiting,
      stack('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'),
      false,
    ],
    ['DELETE_FAILED issued this attempt', StackVerdict.deletionFailed, stack('DELETE_FAILED'), true],
    ['DELETE_FAILED left by an earlier attempt', StackVerdict.delete, stack('DELETE_FAILED'), false],
    ['CREATE_COMPLETE', StackVerdict.delete, stack('CREATE_COMPLETE'), false],
    ['UPDATE_COMPLETE', StackVerdict.delete, stack('UPDATE_COMPLETE'), false],
    ['ROLLBACK_COMPLETE', StackVerdict.delete, stack('ROLLBACK_COMPLETE'), false],
    ['ROLLBACK_FAILED', StackVerdict.delete, stack('ROLLBACK_FAILED'), false],
    ['UPDATE_ROLLBACK_FAILED', StackVerdict.delete, stack('UPDATE_ROLLBACK_FAILED'), false],
    ['IMPORT_COMPLETE', StackVerdict.delete, stack('IMPORT_COMPLETE'), false],
    [
      'REVIEW_IN_PROGRESS (waits for a change set nobody runs)',
      StackVerdict.delete,
      stack('REVIEW_IN_PROGRESS'),
      false,
    ],
  ])('%s -> %s', (_label, expected, observed, issued) => {
    expect(decideStack('absent', observed, issued)).toBe(expected);
  });
});

describe('planConvergence', () => {
  const other: StackSpec = { stackName: 'tenant-t1-extra', templateUrl: 'https://templates.example/x.json' };

  it('is ready when every stack is settled', () => {
    const plan = planConvergence('present', [{ spec, stack: stack('CREATE_COMPLETE') }], attempt(), timeout);

    expect(plan.outcome).toBe('ready');
  });

  it('is ready at once when there are no stacks (pooled tenants)', () => {
    expect(planConvergence('present', [], attempt(), timeout).outcome).toBe('ready');
  });

  it('is pending while any stack is unsettled before the deadline', () => {
    const plan = planConvergence(
      'present',
      [
        { spec, stack: stack('CREATE_COMPLETE') },
        { spec: other, stack: undefined },
      ],
      attempt({ elapsedSeconds: timeout - 1 }),
      timeout,
    );

    expect(plan.outcome).toBe('pending');
    expect(plan.decisions.map((d) => d.verdict)).toEqual([StackVerdict.settled, StackVerdict.create]);
  });

  it('times out when unsettled at the deadline', () => {
    const plan = planConvergence(
      'present',
      [{ spec, stack: stack('CREATE_IN_PROGRESS') }],
      attempt({ elapsedSeconds: timeout }),
      timeout,
    );

    expect(plan.outcome).toBe('timed-out');
  });

  it('is still ready when everything settled right at the deadline', () => {
    const plan = planConvergence(
      'absent',
      [{ spec, stack: undefined }],
      attempt({ elapsedSeconds: timeout + 5 }),
      timeout,
    );

    expect(plan.outcome).toBe('ready');
  });

  it('reports a failure of this attempt before the deadline', () => {
    const plan = planConvergence(
      'present',
      [
        { spec: other, stack: stack('CREATE_IN_PROGRESS', { stackName: other.stackName }) },
        { spec, stack: stack('ROLLBACK_COMPLETE') },
      ],
      attempt({ elapsedSeconds: timeout, issued: ['tenant-t1', 'tenant-t1-extra'] }),
      timeout,
    );

    expect(plan.outcome).toBe('failed');
    expect(plan.outcome === 'failed' && plan.decision.spec.stackName).toBe('tenant-t1');
  });

  it('asks for attention for a stack it cannot repair', () => {
    const plan = planConvergence('present', [{ spec, stack: stack('UPDATE_ROLLBACK_FAILED') }], attempt(), timeout);

    expect(plan.outcome).toBe('needs-attention');
  });

  it('treats a rolled-back stack as its own failure only when this attempt issued it', () => {
    const observed = [{ spec, stack: stack('ROLLBACK_COMPLETE') }];

    expect(planConvergence('present', observed, attempt({ issued: ['tenant-t1'] }), timeout).outcome).toBe('failed');
    expect(planConvergence('present', observed, attempt({ issued: ['someone-else'] }), timeout).outcome).toBe(
      'pending',
    );
  });

  it("goes by the attempt tag over issued: reports its own rollback, deletes an earlier attempt's", () => {
    const own = [
      { spec, stack: stack('ROLLBACK_COMPLETE', { tags: { [attemptTagKey]: attemptTagValue(executionArn, 2) } }) },
    ];

    const reported = planConvergence('present', own, attempt({ redriveCount: 2, issued: [] }), timeout);
    const stale = planConvergence('present', own, attempt({ redriveCount: 3, issued: ['tenant-t1'] }), timeout);

    expect(reported.outcome).toBe('failed');
    expect(stale.outcome).toBe('pending');
    expect(stale.decisions.map((d) => d.verdict)).toEqual([StackVerdict.delete]);
  });
});

describe('nextProgress', () => {
  it('counts the look, schedules the next wait and adds newly issued stacks once', () => {
    const result = nextProgress(
      attempt({ polls: 2, elapsedSeconds: 25, issued: ['a'], redriveCount: 1 }),
      { ready: false, issuedNow: ['a', 'b'], outputs: {} },
      timeout,
    );

    expect(result).toEqual({
      ready: false,
      polls: 3,
      waitSeconds: 60,
      elapsedSeconds: 25,
      redriveCount: 1,
      issued: ['a', 'b'],
      outputs: {},
    });
  });

  it('never schedules a wait past the deadline', () => {
    const result = nextProgress(
      attempt({ polls: 30, elapsedSeconds: timeout - 7 }),
      { ready: false, issuedNow: [], outputs: {} },
      timeout,
    );

    expect(result.waitSeconds).toBe(7);
  });

  it('with event-driven waits, schedules the slow fallback look, capped by the deadline, but keeps polling while queued for a slot', () => {
    const waiting = nextProgress(attempt({ polls: 0 }), { ready: false, issuedNow: ['a'], outputs: {} }, timeout, true);
    const nearDeadline = nextProgress(
      attempt({ polls: 4, elapsedSeconds: timeout - 100 }),
      { ready: false, issuedNow: [], outputs: {} },
      timeout,
      true,
    );
    const queued = nextProgress(
      attempt({ polls: 1 }),
      { ready: false, issuedNow: [], outputs: {}, queued: true },
      timeout,
      true,
    );

    expect(waiting.waitSeconds).toBe(stackFallbackSeconds);
    expect(nearDeadline.waitSeconds).toBe(100);
    expect(queued.waitSeconds).toBe(nextWaitSeconds(1));
  });

  it('keeps the wait positive even at the deadline (the Wait state rejects 0)', () => {
    const result = nextProgress(
      attempt({ polls: 30, elapsedSeconds: timeout }),
      { ready: true, issuedNow: [], outputs: {} },
      timeout,
    );

    expect(result.waitSeconds).toBe(1);
  });
});

describe('mergeOutputs', () => {
  it('merges every stack output into one record', () => {
    const decisions: StackDecision[] = [
      {
        spec,
        stack: stack('CREATE_COMPLETE', { outputs: { ClusterName: 'c1', ServiceNames: 'web' } }),
        verdict: StackVerdict.settled,
      },
      {
        spec,
        stack: stack('UPDATE_COMPLETE', { outputs: { TargetGroupArn: 'arn:tg' } }),
        verdict: StackVerdict.settled,
      },
    ];

    expect(mergeOutputs(decisions)).toEqual({ ClusterName: 'c1', ServiceNames: 'web', TargetGroupArn: 'arn:tg' });
  });
});

describe('errors', () => {
  it('names the stack and the first failing resource when a create fails', () => {
    const error = stackFailureError(
      { spec, stack: stack('ROLLBACK_COMPLETE'), verdict: StackVerdict.creationFailed },
      'WebService (AWS::ECS::Service): Invalid request provided',
    );

    expect(error.name).toBe('StackCreationFailed');
    expect(error.message).toBe(
      'Stack tenant-t1 failed to create: WebService (AWS::ECS::Service): Invalid request provided',
    );
  });

  it('falls back to the stack status reason, then to the status, when no resource failure is listed', () => {
    const withReason = stackFailureError(
      {
        spec,
        stack: stack('DELETE_FAILED', { statusReason: 'The following resource(s) failed to delete: [Bucket].' }),
        verdict: StackVerdict.deletionFailed,
      },
      undefined,
    );
    const withoutReason = stackFailureError(
      { spec, stack: stack('ROLLBACK_FAILED'), verdict: StackVerdict.creationFailed },
      undefined,
    );

    expect(withReason.name).toBe('StackDeletionFailed');
    expect(withReason.message).toBe(
      'Stack tenant-t1 failed to delete: The following resource(s) failed to delete: [Bucket].',
    );
    expect(withoutReason.message).toBe('Stack tenant-t1 failed to create: stack status ROLLBACK_FAILED');
  });

  it('says which stack needs manual attention and why', () => {
    const error = needsAttentionError({
      spec,
      stack: stack('UPDATE_ROLLBACK_FAILED', { statusReason: 'Resource Bucket is in an invalid state' }),
      verdict: StackVerdict.needsAttention,
    });

    expect(error.name).toBe('StackCreationFailed');
    expect(error.message).toBe(
      'Stack tenant-t1 is in UPDATE_ROLLBACK_FAILED and needs manual attention: Resource Bucket is in an invalid state',
    );
  });

  it('names each unsettled stack and its status on timeout', () => {
    const error = timeoutError(
      [
        { spec, stack: stack('CREATE_IN_PROGRESS'), verdict: StackVerdict.waiting },
        { spec: { stackName: 'tenant-t2' }, stack: undefined, verdict: StackVerdict.create },
        { spec: { stackName: 'tenant-t3' }, stack: stack('CREATE_COMPLETE'), verdict: StackVerdict.settled },
      ],
      timeout,
    );

    expect(error.name).toBe('StackTimeout');
    expect(error.message).toBe(
      'Stacks did not settle within 3600 seconds: tenant-t1 (CREATE_IN_PROGRESS), tenant-t2 (not found)',
    );
  });
});

describe('assertCreatable', () => {
  it('rejects a stack to create without a template', () => {
    expect(() => assertCreatable('present', [spec, { stackName: 'tenant-t2' }])).toThrow(
      expect.objectContaining({ name: 'InvalidStepInput', message: expect.stringContaining('tenant-t2') }),
    );
  });

  it('needs no template to delete', () => {
    expect(() => assertCreatable('absent', [{ stackName: 'tenant-t2' }])).not.toThrow();
  });
});

describe('withExtraParameters', () => {
  const planned = {
    stackName: 'tenant-a',
    templateUrl: 'https://t/silo/1.0.0/template.json',
    parameters: { TenantId: 'a' },
  };

  it('adds the route parameters to every stack to be created', () => {
    expect(withExtraParameters([planned], { ListenerArn: 'arn:l', RulePriority: '7' })).toEqual([
      { ...planned, parameters: { TenantId: 'a', ListenerArn: 'arn:l', RulePriority: '7' } },
    ]);
  });

  it('leaves stacks to delete (no template) and absent extras alone', () => {
    expect(withExtraParameters([{ stackName: 'tenant-a' }], { ListenerArn: 'arn:l' })).toEqual([
      { stackName: 'tenant-a' },
    ]);
    expect(withExtraParameters([planned], undefined)).toEqual([planned]);
  });
});
