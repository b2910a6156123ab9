import { describe, expect, it } from 'vitest';
import { loopPassLength, loopPassTransitions, stateCatalog } from '../../../../bench/lib/observer.ts';

describe('loopPassLength', () => {
  it('counts the states of the shortest way from a Wait state back to it, through Choice branches', () => {
    const states = {
      Look: { Next: 'Ready?' },
      'Ready?': { Choices: [{ Next: 'Done' }, { Next: 'Throttled?' }], Default: 'Wait' },
      'Throttled?': { Default: 'Backoff' },
      Backoff: { Next: 'Wait' },
      Wait: { Next: 'Look' },
      Done: {},
    };

    expect(loopPassLength(states, 'Wait')).toBe(3);
  });

  it('refuses a Wait state that is on no loop', () => {
    expect(() => loopPassLength({ Wait: { Next: 'Done' }, Done: {} }, 'Wait')).toThrow('on no loop');
  });
});

describe('loopPassTransitions', () => {
  it.each([
    ['onboarding', 'stack'],
    ['onboarding', 'services'],
    ['offboarding', 'stack'],
  ] as const)("finds the %s workflow's %s loop in its definition", (workflow, loop) => {
    const catalog = stateCatalog();

    // At least the Wait and the look; the exact count is the definition's, which this test does not copy.
    expect(loopPassTransitions(workflow, loop, catalog)).toBeGreaterThanOrEqual(2);
  });
});
