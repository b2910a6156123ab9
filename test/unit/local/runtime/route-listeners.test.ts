import { describe, expect, it } from 'vitest';
import { readRouteListeners } from '../../../../functions/shared/config/environment.ts';
import { loadBalancerArnOf } from '../../../../local/cloud/elb-rules.ts';
import {
  configureRouteListeners,
  localRouteListeners,
  noteRouteListenersInForce,
} from '../../../../local/runtime/route-listeners.ts';

describe('localRouteListeners', () => {
  it('builds count listeners of the given capacity, each on a load balancer of its own', () => {
    const listeners = localRouteListeners({ count: 3, capacity: 2 });

    expect(listeners.map((listener) => listener.capacity)).toEqual([2, 2, 2]);
    expect(new Set(listeners.map((listener) => loadBalancerArnOf({ listenerArn: listener.listenerArn }))).size).toBe(3);
    expect(new Set(listeners.map((listener) => listener.pooledTargetGroupArn)).size).toBe(3);
    expect(localRouteListeners({ count: 3, capacity: 2 })).toEqual(listeners);
  });

  it('is a configuration the handlers accept', () => {
    const env = { ROUTE_LISTENERS: JSON.stringify(localRouteListeners({ count: 2, capacity: 1 })) };

    expect(readRouteListeners(env)).toEqual(localRouteListeners({ count: 2, capacity: 1 }));
  });

  it.each([
    [{ count: 0, capacity: 1 }, /count must be a whole number from 1 to 20/],
    [{ count: 1.5, capacity: 1 }, /count must be/],
    [{ count: 1, capacity: 0 }, /capacity must be a whole number from 1 to 50000/],
    [{ count: 1, capacity: 50_001 }, /capacity must be/],
  ])('refuses %j', (options, message) => {
    expect(() => localRouteListeners(options)).toThrow(message);
  });
});

describe('configureRouteListeners', () => {
  it('sets ROUTE_LISTENERS, and once the handlers may have read it, refuses another configuration', () => {
    const env: NodeJS.ProcessEnv = {};

    configureRouteListeners(undefined, env);
    expect(env.ROUTE_LISTENERS).toBeUndefined();
    configureRouteListeners({ count: 2, capacity: 1 }, env);
    noteRouteListenersInForce(env);

    expect(env.ROUTE_LISTENERS).toBe(JSON.stringify(localRouteListeners({ count: 2, capacity: 1 })));
    expect(() => configureRouteListeners({ count: 2, capacity: 1 }, env)).not.toThrow();
    expect(() => configureRouteListeners({ count: 1, capacity: 5 }, env)).toThrow(
      /other route listeners .* in a new process/,
    );
  });
});
