import { describe, expect, it } from 'vitest';
import {
  beginCall,
  needsSlot,
  nextProgress,
  StackVerdict,
  type StackDecision,
} from '../../../../functions/converge-stacks/converge.ts';
import type { StackProgress, StackSpec } from '../../../../functions/shared/step/schemas.ts';

const timeout = 3600;
const spec: StackSpec = { stackName: 'tenant-t1', templateUrl: 'https://templates.example/t.json' };
const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:t1';
const request = { executionArn };

function decision(verdict: StackVerdict): StackDecision {
  return { spec, stack: undefined, verdict };
}

function progress(overrides: Partial<StackProgress> = {}): StackProgress {
  return {
    ready: false,
    polls: 3,
    waitSeconds: 23,
    elapsedSeconds: 25,
    redriveCount: 0,
    issued: [],
    outputs: {},
    ...overrides,
  };
}

describe('needsSlot', () => {
  it('is true when any stack is to be created or deleted', () => {
    expect(needsSlot([decision(StackVerdict.settled), decision(StackVerdict.create)])).toBe(true);
    expect(needsSlot([decision(StackVerdict.waiting), decision(StackVerdict.delete)])).toBe(true);
  });

  it('is false when the call only watches or finds stacks settled', () => {
    expect(needsSlot([decision(StackVerdict.waiting), decision(StackVerdict.settled)])).toBe(false);
    expect(needsSlot([])).toBe(false);
  });
});

describe('queueing for a slot', () => {
  it('does not count a wait spent queued as stack time', () => {
    const result = beginCall({ request, redriveCount: 0, progress: progress({ queued: true }) });

    expect(result).toEqual({
      executionArn,
      polls: 3,
      elapsedSeconds: 25,
      queuedSeconds: 23,
      redriveCount: 0,
      issued: [],
      redriven: false,
    });
  });

  it('counts the wait again once the previous call was not queued', () => {
    expect(beginCall({ request, redriveCount: 0, progress: progress({ queued: false }) }).elapsedSeconds).toBe(48);
  });

  it('marks a queued call, counting the look but not advancing the stack time', () => {
    const attempt = beginCall({ request, redriveCount: 0, progress: progress({ queued: true }) });

    const result = nextProgress(attempt, { ready: false, issuedNow: [], outputs: {}, queued: true }, timeout);

    expect(result).toEqual({
      ready: false,
      polls: 4,
      waitSeconds: 60,
      elapsedSeconds: 25,
      redriveCount: 0,
      issued: [],
      outputs: {},
      queued: true,
      queuedSeconds: 23,
    });
  });

  it('leaves the flag out of a call that was not queued', () => {
    const result = nextProgress(
      beginCall({ request, redriveCount: 0 }),
      { ready: false, issuedNow: ['tenant-t1'], outputs: {} },
      timeout,
    );

    expect(result).not.toHaveProperty('queued');
  });

  it('never times out while queued, however long the queue', () => {
    let current = progress({ polls: 0, elapsedSeconds: 0, waitSeconds: 10, queued: true });
    for (let call = 0; call < 1000; call += 1) {
      current = nextProgress(
        beginCall({ request, redriveCount: 0, progress: current }),
        { ready: false, issuedNow: [], outputs: {}, queued: true },
        timeout,
      );
    }

    expect(current.elapsedSeconds).toBe(0);
    expect(current.waitSeconds).toBe(60);
  });
});
