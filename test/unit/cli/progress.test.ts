import { describe, expect, it } from 'vitest';
import { createPainter } from '../../../cli/format.ts';
import { createProgress, plainLine } from '../../../cli/progress.ts';
import type { HistoryEntry } from '../../../local/workflow-runner.ts';

const paint = createPainter(false);
const at = (seconds: number) => new Date(2026, 10, 20, 10, 0, seconds).getTime();
const onboardingA = { executionArn: 'arn:a', workflow: 'onboarding' as const };
const offboardingB = { executionArn: 'arn:b', workflow: 'offboarding' as const };

function setup(tty: boolean, verbose = false) {
  const written: string[] = [];
  const labels: Record<string, string> = { 'arn:a': 'globex', 'arn:b': 'acme' };
  const progress = createProgress({
    tty,
    verbose,
    paint,
    write: (text) => void written.push(text),
    labelOf: (arn) => labels[arn] ?? arn,
  });
  return { progress, written, labels };
}

describe('plainLine', () => {
  it.each<[HistoryEntry, string]>([
    [
      { type: 'StateEntered', state: 'CreateTenantStacks', at: at(1) },
      '10:00:01 globex onboarding CreateTenantStacks entered',
    ],
    [
      { type: 'StateExited', state: 'CreateTenantStacks', at: at(2) },
      '10:00:02 globex onboarding CreateTenantStacks succeeded',
    ],
    [
      { type: 'StateFailed', state: 'CreateTenantStacks', at: at(3), error: 'StackCreationFailed' },
      '10:00:03 globex onboarding CreateTenantStacks failed (StackCreationFailed)',
    ],
    [
      { type: 'StateRetried', state: 'CreateTenantStacks', at: at(4), error: 'TransientAwsError' },
      '10:00:04 globex onboarding CreateTenantStacks retried (TransientAwsError)',
    ],
    [{ type: 'ExecutionSucceeded', at: at(5) }, '10:00:05 globex onboarding execution succeeded'],
    [
      { type: 'ExecutionFailed', at: at(6), error: 'StackCreationFailed' },
      '10:00:06 globex onboarding execution failed (StackCreationFailed)',
    ],
  ])('writes %j as one line', (entry, line) => {
    expect(plainLine('globex', 'onboarding', entry, paint)).toBe(line);
  });
});

describe('createProgress without a TTY', () => {
  it('prints nothing by default, and says so, so the command tells each outcome itself', async () => {
    const { progress, written } = setup(false);
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
      progress.onEvent(onboardingA, { type: 'ExecutionSucceeded', at: at(2) });
    });
    expect(written).toEqual([]);
    expect(progress.shown).toBe(false);
  });

  it('with --verbose prints one line per event while a section runs, for every execution', async () => {
    const { progress, written } = setup(false, true);
    expect(progress.shown).toBe(true);
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
      progress.onEvent(offboardingB, { type: 'StateEntered', state: 'AcceptOffboardingRequest', at: at(1) });
      progress.onEvent(onboardingA, { type: 'StateExited', state: 'AcceptOnboardingRequest', at: at(2) });
    });
    expect(written).toEqual([
      '10:00:01 globex onboarding AcceptOnboardingRequest entered\n',
      '10:00:01 acme offboarding AcceptOffboardingRequest entered\n',
      '10:00:02 globex onboarding AcceptOnboardingRequest succeeded\n',
    ]);
  });

  it('shows nothing outside a section', async () => {
    const { progress, written } = setup(false);
    progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
    await progress.section(async () => undefined);
    progress.onEvent(onboardingA, { type: 'StateEntered', state: 'PlanTenantResources', at: at(2) });
    expect(written).toEqual([]);
  });

  it('labels lines with what is known at each event', async () => {
    const { progress, written, labels } = setup(false, true);
    labels['arn:a'] = '7d3f2a10';
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
      labels['arn:a'] = 'globex';
      progress.onEvent(onboardingA, { type: 'StateExited', state: 'AcceptOnboardingRequest', at: at(2) });
    });
    expect(written[1]).toContain(' globex onboarding ');
  });

  it('ends the section when the work throws, and passes the error on', async () => {
    const { progress, written } = setup(false);
    await expect(progress.section(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    progress.onEvent(onboardingA, { type: 'StateEntered', state: 'X', at: at(1) });
    expect(written).toEqual([]);
  });
});

describe('createProgress on a TTY', () => {
  it('prints plain lines instead of the block with --verbose', async () => {
    const { progress, written } = setup(true, true);
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
    });
    expect(written).toEqual(['10:00:01 globex onboarding AcceptOnboardingRequest entered\n']);
  });

  it('redraws one line per execution in place, with the current state and a step counter', async () => {
    const { progress, written } = setup(true);
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'AcceptOnboardingRequest', at: at(1) });
      progress.onEvent(offboardingB, { type: 'StateEntered', state: 'AcceptOffboardingRequest', at: at(1) });
      progress.onEvent(onboardingA, { type: 'StateExited', state: 'AcceptOnboardingRequest', at: at(2) });
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'PlanTenantResources', at: at(2) });
      progress.onEvent(onboardingA, { type: 'ExecutionSucceeded', at: at(3) });
    });
    // First draw: one line, no cursor movement.
    expect(written[0]).toBe('\r\u001b[2K› globex  onboarding   AcceptOnboardingRequest     step  1  0ms\n');
    // Second draw: back up one line, then both lines.
    expect(written[1]?.startsWith('\u001b[1A\r\u001b[2K')).toBe(true);
    // Every later draw goes back over both lines.
    expect(written.slice(2).every((text) => text.startsWith('\u001b[2A'))).toBe(true);
    const last = written[written.length - 1] ?? '';
    expect(last).toContain('✓ globex  onboarding   PlanTenantResources');
    expect(last).toContain('step  2  2.0s');
    expect(last).toContain('› acme    offboarding  AcceptOffboardingRequest');
    expect(last.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('marks a failed execution with its state and error', async () => {
    const { progress, written } = setup(true);
    await progress.section(async () => {
      progress.onEvent(onboardingA, { type: 'StateEntered', state: 'CreateTenantStacks', at: at(1) });
      progress.onEvent(onboardingA, {
        type: 'StateFailed',
        state: 'CreateTenantStacks',
        at: at(2),
        error: 'StackCreationFailed',
      });
      progress.onEvent(onboardingA, { type: 'ExecutionFailed', at: at(2), error: 'StackCreationFailed' });
    });
    expect(written[written.length - 1]).toContain(
      '✗ globex  onboarding   CreateTenantStacks failed (StackCreationFailed)',
    );
  });

  it('starts a new block in the next section', async () => {
    const { progress, written } = setup(true);
    await progress.section(async () => progress.onEvent(onboardingA, { type: 'StateEntered', state: 'A', at: at(1) }));
    await progress.section(async () => progress.onEvent(offboardingB, { type: 'StateEntered', state: 'B', at: at(2) }));
    expect(written[1]?.startsWith('\r\u001b[2K› acme')).toBe(true);
  });
});
