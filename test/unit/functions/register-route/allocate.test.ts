import { describe, expect, it } from 'vitest';
import {
  allocateRouteSlot,
  capacityExceededMessage,
  defaultRouteHeaderName,
  lowestFreePriority,
  routeStackParameters,
  stackOwnsRule,
  unregisteredPriorities,
  validateRouteRequest,
  type ListenerUsage,
} from '../../../../functions/register-route/allocate.ts';
import { InvalidStepInputError } from '../../../../functions/shared/step/errors.ts';
import { RouteParameter } from '../../../../functions/shared/config/template-parameters.ts';

const first = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-a/1111/aaaa';
const second = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-b/2222/bbbb';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

describe('lowestFreePriority', () => {
  it('is 1 on an empty listener', () => {
    expect(lowestFreePriority([], 50_000)).toBe(1);
  });

  it('fills the lowest gap, whatever the order of the taken priorities', () => {
    expect(lowestFreePriority([5, 1, 2, 4], 50_000)).toBe(3);
  });

  it('is the next one after a contiguous block', () => {
    expect(lowestFreePriority(range(1, 10), 50_000)).toBe(11);
  });

  it('is undefined when every priority up to the highest is taken', () => {
    expect(lowestFreePriority([1, 2, 3], 3)).toBeUndefined();
  });
});

describe('allocateRouteSlot', () => {
  it('takes the lowest free priority on the first listener with room', () => {
    const listeners: ListenerUsage[] = [{ listenerArn: first, capacity: 100, taken: [1, 2, 4] }];

    expect(allocateRouteSlot(listeners, 50_000)).toEqual({ listenerArn: first, priority: 3 });
  });

  it('counts foreign reservations and tenants alike against the capacity', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 3, taken: [1, 7, 9] },
      { listenerArn: second, capacity: 100, taken: [] },
    ];

    expect(allocateRouteSlot(listeners, 50_000)).toEqual({ listenerArn: second, priority: 1 });
  });

  it('uses a listener up to exactly its capacity', () => {
    const listeners: ListenerUsage[] = [{ listenerArn: first, capacity: 3, taken: [1, 3] }];

    expect(allocateRouteSlot(listeners, 50_000)).toEqual({ listenerArn: first, priority: 2 });
  });

  it('spills to the next listener in configured order when the first is full', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 100, taken: range(1, 100) },
      { listenerArn: second, capacity: 100, taken: [1, 2] },
    ];

    expect(allocateRouteSlot(listeners, 50_000)).toEqual({ listenerArn: second, priority: 3 });
  });

  it('keeps filling the first listener while it has room, even if a later one is emptier', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 100, taken: range(1, 99) },
      { listenerArn: second, capacity: 100, taken: [] },
    ];

    expect(allocateRouteSlot(listeners, 50_000)).toEqual({ listenerArn: first, priority: 100 });
  });

  it('skips a listener whose priority range is exhausted although its capacity is not', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 10, taken: [1, 2, 3] },
      { listenerArn: second, capacity: 10, taken: [] },
    ];

    expect(allocateRouteSlot(listeners, 3)).toEqual({ listenerArn: second, priority: 1 });
  });

  it('is undefined when every listener is full', () => {
    const listeners: ListenerUsage[] = [
      { listenerArn: first, capacity: 2, taken: [1, 2] },
      { listenerArn: second, capacity: 1, taken: [5] },
    ];

    expect(allocateRouteSlot(listeners, 50_000)).toBeUndefined();
  });
});

describe('capacityExceededMessage', () => {
  it('names the counts and the fix for one listener', () => {
    expect(capacityExceededMessage([{ listenerArn: first, capacity: 100, taken: range(1, 100) }])).toBe(
      'All 1 route listener(s) are full (100 of 100 rules). Add a listener to ROUTE_LISTENERS or raise the Rules per ' +
        "Application Load Balancer quota and the listener's capacity.",
    );
  });

  it('sums over several listeners', () => {
    const message = capacityExceededMessage([
      { listenerArn: first, capacity: 100, taken: range(1, 100) },
      { listenerArn: second, capacity: 50, taken: range(1, 50) },
    ]);

    expect(message).toMatch(/^All 2 route listener\(s\) are full \(150 of 150 rules\)\./);
  });
});

describe('unregisteredPriorities', () => {
  it('lists the rule priorities the registry does not know, once each, ascending', () => {
    expect(unregisteredPriorities([9, 1, 3, 7, 3], [1, 2, 7])).toEqual([3, 9]);
  });

  it('is empty when the registry knows every rule', () => {
    expect(unregisteredPriorities([1, 2], [1, 2, 5])).toEqual([]);
  });
});

describe('stackOwnsRule', () => {
  it.each([
    ['pool', false],
    ['silo-services', true],
    ['silo-cluster', true],
  ] as const)('%s: %s', (model, owns) => {
    expect(stackOwnsRule(model)).toBe(owns);
  });
});

describe('routeStackParameters', () => {
  it('passes a header route with its header name, the priority as a string', () => {
    expect(
      routeStackParameters({
        listenerArn: first,
        priority: 12,
        style: 'header',
        headerName: 'X-Tenant-Id',
        value: 'acme',
      }),
    ).toEqual({
      ListenerArn: first,
      RulePriority: '12',
      RouteStyle: 'header',
      RouteValue: 'acme',
      RouteHeaderName: 'X-Tenant-Id',
    });
  });

  it.each([undefined, ''])(
    'gives a host route the default header name (given %j), so every parameter has a value',
    (headerName) => {
      const route = {
        listenerArn: second,
        priority: 1,
        style: 'host',
        value: 'a.tenants.example.com',
        ...(headerName !== undefined ? { headerName } : {}),
      } as const;

      expect(routeStackParameters(route)).toEqual({
        ListenerArn: second,
        RulePriority: '1',
        RouteStyle: 'host',
        RouteValue: 'a.tenants.example.com',
        RouteHeaderName: defaultRouteHeaderName,
      });
      expect(defaultRouteHeaderName).toBe('x-tenant-id');
    },
  );

  it('uses exactly the RouteParameter names the tenant templates declare', () => {
    const names = Object.keys(
      routeStackParameters({ listenerArn: first, priority: 1, style: 'host', value: 'h' }),
    ).sort();

    expect(names).toEqual(Object.values(RouteParameter).sort());
  });
});

describe('validateRouteRequest', () => {
  it('accepts a host route', () => {
    expect(() => validateRouteRequest({ style: 'host', value: 'a.tenants.example.com' })).not.toThrow();
  });

  it('accepts a header route with its header name', () => {
    expect(() => validateRouteRequest({ style: 'header', headerName: 'x-tenant-id', value: 'acme' })).not.toThrow();
  });

  it.each([undefined, ''])('rejects a header route without header name (%j)', (headerName) => {
    const route = { style: 'header', value: 'acme', ...(headerName !== undefined ? { headerName } : {}) } as const;

    expect(() => validateRouteRequest(route)).toThrow(InvalidStepInputError);
    expect(() => validateRouteRequest(route)).toThrow(
      'RegisterTenantRoute received a header-style route without headerName',
    );
  });
});
