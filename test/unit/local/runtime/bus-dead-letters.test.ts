import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '../../../../local/runtime/api.ts';
import { deadLetterErrorCode, envelope, LocalBus, type BusRule } from '../../../../local/runtime/bus.ts';

const event = envelope({ source: 's', 'detail-type': 'request', detail: { n: 1 } });

/** A rule whose target refuses its first `refusals` calls (synchronously, as StartExecution does). */
function refusingRule(refusals: number, calls: number[] = []): BusRule {
  return {
    name: 'start',
    pattern: { source: ['s'] },
    retryPolicy: { attempts: 4, backoffMs: 100 },
    target: () => {
      calls.push(Date.now());
      if (calls.length <= refusals) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return 'started';
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LocalBus retry policy and dead-letter queue', () => {
  it('retries a refused event with exponential backoff and hands the eventual result to the publisher', async () => {
    const calls: number[] = [];
    const bus = new LocalBus([refusingRule(2, calls)]);

    const [delivery] = bus.publish(event).deliveries;
    expect(delivery?.result).toBeUndefined();
    await vi.runAllTimersAsync();

    await expect(delivery?.retried).resolves.toBe('started');
    expect(calls).toEqual([0, 100, 300]);
    expect(bus.deadLetters()).toEqual([]);
    expect(bus.undelivered()).toEqual([]);
  });

  it('dead-letters the event past the last attempt, with the error code and attempts, and tells its owner', async () => {
    const saved: (readonly DeadLetter[])[] = [];
    const bus = new LocalBus([refusingRule(4)], { onDeadLettersChanged: (letters) => saved.push(letters) });

    const [delivery] = bus.publish(event).deliveries;
    await vi.runAllTimersAsync();

    await expect(delivery?.retried).resolves.toBeUndefined();
    const expected = {
      id: expect.any(String),
      at: expect.any(String),
      rule: 'start',
      errorCode: 'THROTTLING',
      errorMessage: 'ThrottlingException: Rate exceeded',
      attempts: 4,
      event,
    };
    expect(bus.deadLetters()).toEqual([expected]);
    expect(saved).toEqual([[expected]]);
    expect(bus.pending).toBe(0);
  });

  it('removes a dead letter by id, once', async () => {
    const bus = new LocalBus([refusingRule(4)]);
    bus.publish(event);
    await vi.runAllTimersAsync();
    const [letter] = bus.deadLetters();

    expect(bus.removeDeadLetter(letter?.id ?? '')).toBe(true);
    expect(bus.removeDeadLetter(letter?.id ?? '')).toBe(false);
    expect(bus.deadLetters()).toEqual([]);
  });

  it('without a retry policy, a refusal is listed as undelivered at once', () => {
    const { retryPolicy: _retryPolicy, ...rule } = refusingRule(1);
    const bus = new LocalBus([rule]);

    expect(bus.publish(event).deliveries[0]?.retried).toBeUndefined();
    expect(bus.undelivered()).toEqual([
      expect.objectContaining({ rule: 'start', reason: 'ThrottlingException: Rate exceeded' }),
    ]);
  });
});

describe('deadLetterErrorCode', () => {
  it.each([
    ['ThrottlingException', 'THROTTLING'],
    ['ExecutionLimitExceeded', 'RESOURCE_LIMIT_EXCEEDED'],
    ['AccessDeniedException', 'UNKNOWN'],
  ])('%s -> %s', (name, code) => {
    expect(deadLetterErrorCode(Object.assign(new Error('x'), { name }))).toBe(code);
  });
});

/** An asynchronous target (a Lambda function invoked asynchronously) that fails its first `failures` invocations. */
function failingFunction(failures: number, calls: number[] = []): BusRule {
  return {
    name: 'admit',
    pattern: { source: ['s'] },
    asyncInvocation: { attempts: 3, backoffMs: 100, deadLetter: true },
    target: async () => {
      calls.push(Date.now());
      if (calls.length <= failures)
        throw Object.assign(new Error('StartExecution failed transiently'), {
          name: 'TransientAwsError',
          cause: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
        });
      return { outcome: 'started' };
    },
  };
}

describe('LocalBus asynchronous invocations with an on-failure destination', () => {
  it('invokes a failing function again with backoff and hands over the result of the attempt that succeeded', async () => {
    const calls: number[] = [];
    const bus = new LocalBus([failingFunction(2, calls)]);

    const [delivery] = bus.publish(event).deliveries;
    await vi.runAllTimersAsync();

    await expect(delivery?.invocation?.firstAttempt).resolves.toBe(false);
    await expect(delivery?.invocation?.outcome).resolves.toEqual({ succeeded: true, value: { outcome: 'started' } });
    expect(calls).toEqual([0, 100, 300]);
    expect(bus.deadLetters()).toEqual([]);
  });

  it("dead-letters the event after the last invocation fails, naming the wrapped error's kind", async () => {
    const bus = new LocalBus([failingFunction(3)]);

    const [delivery] = bus.publish(event).deliveries;
    await vi.runAllTimersAsync();

    await expect(delivery?.invocation?.outcome).resolves.toEqual({ succeeded: false });
    expect(bus.deadLetters()).toEqual([
      {
        id: expect.any(String),
        at: expect.any(String),
        rule: 'admit',
        errorCode: 'THROTTLING',
        errorMessage: 'TransientAwsError: StartExecution failed transiently',
        attempts: 3,
        event,
      },
    ]);
    expect(bus.undelivered()).toEqual([]);
  });

  it('reports a first invocation that succeeded', async () => {
    const bus = new LocalBus([failingFunction(0)]);

    const [delivery] = bus.publish(event).deliveries;

    await expect(delivery?.invocation?.firstAttempt).resolves.toBe(true);
  });
});
