import { describe, expect, it } from 'vitest';
import {
  allocateRouteSlot,
  lowestFreePriorities,
  maxPriorityCandidates,
  type ListenerUsage,
} from '../../../../functions/register-route/allocate.ts';

const first = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-a/1111/aaaa';
const second = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-b/2222/bbbb';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** A picker that records how many candidates it was offered and takes the given index. */
function picker(index: number | ((count: number) => number)) {
  const offered: number[] = [];
  const pick = (count: number) => {
    offered.push(count);
    return typeof index === 'number' ? index : index(count);
  };
  return { pick, offered };
}

describe('lowestFreePriorities', () => {
  it('lists the lowest free priorities, skipping taken ones', () => {
    expect(lowestFreePriorities([2, 3, 5], 50_000, 4)).toEqual([1, 4, 6, 7]);
  });

  it('stops at the highest priority', () => {
    expect(lowestFreePriorities([1], 3, 10)).toEqual([2, 3]);
  });
});

describe('allocateRouteSlot with a picker: concurrent tenants spread over the free priorities', () => {
  it('offers as many candidates as the listener has room for, lowest first', () => {
    const listeners: ListenerUsage[] = [{ listenerArn: first, capacity: 5, taken: [1, 3] }];
    const { pick, offered } = picker((count) => count - 1);

    const slot = allocateRouteSlot(listeners, 50_000, pick);

    // Room for 3 more: candidates 2, 4, 5; the picker took the last.
    expect(offered).toEqual([3]);
    expect(slot).toEqual({ listenerArn: first, priority: 5 });
  });

  it('offers at most maxPriorityCandidates on a roomy listener', () => {
    const { pick, offered } = picker(0);

    allocateRouteSlot([{ listenerArn: first, capacity: 50_000, taken: [] }], 50_000, pick);

    expect(offered).toEqual([maxPriorityCandidates]);
  });

  it('clamps a picker answer outside the candidates', () => {
    const listeners: ListenerUsage[] = [{ listenerArn: first, capacity: 3, taken: [] }];

    expect(allocateRouteSlot(listeners, 50_000, () => 99)).toEqual({ listenerArn: first, priority: 3 });
    expect(allocateRouteSlot(listeners, 50_000, () => -4)).toEqual({ listenerArn: first, priority: 1 });
    expect(allocateRouteSlot(listeners, 50_000, () => 1.7)).toEqual({ listenerArn: first, priority: 2 });
  });

  it('moves to the next listener once the first is at capacity', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 3, taken: [1, 2, 3] },
      { listenerArn: second, capacity: 3, taken: [] },
    ];

    expect(allocateRouteSlot(listeners, 50_000, (count) => count - 1)).toEqual({ listenerArn: second, priority: 3 });
  });

  it('never offers a priority that would let concurrent claims overfill a listener', () => {
    // Whatever each concurrent tenant read and picked, every candidate lies within the lowest
    // `capacity` priorities left by foreign rules above them: distinct claims there cannot exceed capacity.
    const capacity = 5;
    const foreignAbove = [40];
    const claimed = new Set<number>();
    for (const taken of [[], [1], [4], [1, 2, 5], [2, 3, 4, 5]]) {
      for (let index = 0; index < capacity; index += 1) {
        const slot = allocateRouteSlot(
          [{ listenerArn: first, capacity, taken: [...taken, ...foreignAbove] }],
          50_000,
          () => index,
        );
        if (slot !== undefined) claimed.add(slot.priority);
      }
    }

    expect([...claimed].sort((a, b) => a - b)).toEqual(range(1, capacity - foreignAbove.length));
  });
});
