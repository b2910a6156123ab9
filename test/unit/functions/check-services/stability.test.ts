import { describe, expect, it } from 'vitest';
import {
  assessServices,
  describeUnstable,
  isServiceStable,
  servicesFallbackSeconds,
  splitServiceNames,
  waitAfterPolls,
} from '../../../../functions/check-services/stability.ts';
import type { ServiceState } from '../../../../functions/shared/aws/services.ts';
import type { ServiceProgress } from '../../../../functions/shared/step/schemas.ts';

const cluster = 'tenant-t1';
const timeout = 900;

function service(overrides: Partial<ServiceState> = {}): ServiceState {
  return {
    serviceName: 'api',
    found: true,
    status: 'ACTIVE',
    runningCount: 2,
    desiredCount: 2,
    rolloutState: 'COMPLETED',
    ...overrides,
  };
}

describe('splitServiceNames', () => {
  it('splits, trims, drops blanks and repeats', () => {
    expect(splitServiceNames(' api, worker,,api ,')).toEqual(['api', 'worker']);
  });

  it('rejects a list with no names as InvalidStepInput', () => {
    expect(() => splitServiceNames(' , ')).toThrow(expect.objectContaining({ name: 'InvalidStepInput' }));
  });
});

describe('isServiceStable', () => {
  it.each<[string, Partial<ServiceState>, boolean]>([
    ['active, running = desired, rollout completed', {}, true],
    ['running above desired', { runningCount: 3 }, true],
    ['no rollout state tracked', { rolloutState: undefined }, true],
    ['running below desired', { runningCount: 1 }, false],
    ['desired count 0', { runningCount: 0, desiredCount: 0 }, false],
    ['draining', { status: 'DRAINING' }, false],
    ['inactive', { status: 'INACTIVE' }, false],
    ['rollout in progress', { rolloutState: 'IN_PROGRESS' }, false],
    ['rollout failed', { rolloutState: 'FAILED' }, false],
    ['not found', { found: false, status: 'MISSING', runningCount: 0, desiredCount: 0 }, false],
  ])('%s -> %s', (_label, overrides, stable) => {
    expect(isServiceStable(service(overrides))).toBe(stable);
  });
});

describe('waitAfterPolls', () => {
  it('grows by half each look and stops at 30 seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(waitAfterPolls)).toEqual([5, 8, 11, 17, 25, 30, 30, 30]);
  });
});

describe('assessServices', () => {
  it('is ready on the first look when every service is stable', () => {
    const progress = assessServices(cluster, [service(), service({ serviceName: 'worker' })], undefined, timeout);

    expect(progress).toEqual({ ready: true, polls: 1, waitSeconds: 8, elapsedSeconds: 0, redriveCount: 0 });
  });

  it('with event-driven waits, waits for the slow fallback look, capped by the deadline', () => {
    const first = assessServices(cluster, [service({ runningCount: 0 })], undefined, timeout, 0, true);
    const late = assessServices(
      cluster,
      [service({ runningCount: 0 })],
      { ready: false, polls: 2, waitSeconds: 300, elapsedSeconds: timeout - 340 },
      timeout,
      0,
      true,
    );

    expect(first.waitSeconds).toBe(servicesFallbackSeconds);
    expect(late.waitSeconds).toBe(40);
  });

  it('waits on the first look when a service is still starting', () => {
    const progress = assessServices(cluster, [service({ runningCount: 0 })], undefined, timeout);

    expect(progress).toEqual({ ready: false, polls: 1, waitSeconds: 8, elapsedSeconds: 0, redriveCount: 0 });
  });

  it('adds the previous wait to the elapsed time and backs off', () => {
    const previous: ServiceProgress = { ready: false, polls: 3, waitSeconds: 17, elapsedSeconds: 19 };

    const progress = assessServices(cluster, [service({ rolloutState: 'IN_PROGRESS' })], previous, timeout);

    expect(progress).toEqual({ ready: false, polls: 4, waitSeconds: 25, elapsedSeconds: 36, redriveCount: 0 });
  });

  it('caps the wait at the time left before the deadline', () => {
    const previous: ServiceProgress = { ready: false, polls: 10, waitSeconds: 30, elapsedSeconds: 860 };

    const progress = assessServices(cluster, [service({ runningCount: 1 })], previous, timeout);

    expect(progress).toEqual({ ready: false, polls: 11, waitSeconds: 10, elapsedSeconds: 890, redriveCount: 0 });
  });

  it('counts a missing service as not stable', () => {
    const missing = service({
      serviceName: 'worker',
      found: false,
      status: 'MISSING',
      runningCount: 0,
      desiredCount: 0,
      rolloutState: undefined,
    });

    const progress = assessServices(cluster, [service(), missing], undefined, timeout);

    expect(progress.ready).toBe(false);
  });

  it('is still ready when stability arrives exactly at the deadline', () => {
    const previous: ServiceProgress = { ready: false, polls: 11, waitSeconds: 10, elapsedSeconds: 890 };

    expect(assessServices(cluster, [service()], previous, timeout)).toEqual({
      ready: true,
      polls: 12,
      waitSeconds: 30,
      elapsedSeconds: 900,
      redriveCount: 0,
    });
  });

  it('fails at the deadline naming each unstable service with its counts and latest event', () => {
    const previous: ServiceProgress = { ready: false, polls: 11, waitSeconds: 10, elapsedSeconds: 890 };
    const services = [
      service(),
      service({
        serviceName: 'worker',
        runningCount: 0,
        desiredCount: 2,
        rolloutState: 'IN_PROGRESS',
        latestEventMessage:
          '(service worker) was unable to place a task because no container instance met all of its requirements.',
      }),
      service({
        serviceName: 'cron',
        found: false,
        status: 'MISSING',
        runningCount: 0,
        desiredCount: 0,
        rolloutState: undefined,
        failureReason: 'MISSING',
      }),
    ];

    expect(() => assessServices(cluster, services, previous, timeout)).toThrow(
      expect.objectContaining({
        name: 'ServicesNotStable',
        message:
          'ECS services in cluster tenant-t1 not stable after 900 seconds: ' +
          'worker running 0/2, rollout IN_PROGRESS, latest event: (service worker) was unable to place a task because no container instance met all of its requirements.; ' +
          'cron not found in the cluster (MISSING)',
      }),
    );
  });

  it('fails at once when a PRIMARY deployment rollout FAILED (circuit breaker), before any deadline', () => {
    const broken = service({
      serviceName: 'worker',
      runningCount: 0,
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    });

    expect(() => assessServices(cluster, [service(), broken], undefined, timeout)).toThrow(
      expect.objectContaining({
        name: 'ServicesNotStable',
        message:
          'ECS service worker in cluster tenant-t1 failed to deploy (circuit breaker): ECS deployment circuit breaker: tasks failed to start.',
      }),
    );
  });

  it('starts a fresh budget after a redrive, although the old progress had reached the deadline', () => {
    const failedAttempt: ServiceProgress = {
      ready: false,
      polls: 33,
      waitSeconds: 10,
      elapsedSeconds: 890,
      redriveCount: 0,
    };

    const progress = assessServices(cluster, [service({ runningCount: 0 })], failedAttempt, timeout, 1);

    expect(progress).toEqual({ ready: false, polls: 1, waitSeconds: 8, elapsedSeconds: 0, redriveCount: 1 });
  });

  it('treats progress without a redrive count (written before it existed) as attempt 0', () => {
    const written: ServiceProgress = { ready: false, polls: 33, waitSeconds: 10, elapsedSeconds: 890 };

    expect(() => assessServices(cluster, [service({ runningCount: 0 })], written, timeout)).toThrow(
      expect.objectContaining({ name: 'ServicesNotStable' }),
    );
    expect(assessServices(cluster, [service({ runningCount: 0 })], written, timeout, 1)).toMatchObject({
      polls: 1,
      elapsedSeconds: 0,
      redriveCount: 1,
    });
  });

  it('keeps counting within a redriven attempt', () => {
    const redriven: ServiceProgress = { ready: false, polls: 1, waitSeconds: 8, elapsedSeconds: 0, redriveCount: 2 };

    expect(assessServices(cluster, [service({ runningCount: 0 })], redriven, timeout, 2)).toEqual({
      ready: false,
      polls: 2,
      waitSeconds: 11,
      elapsedSeconds: 8,
      redriveCount: 2,
    });
  });
});

describe('describeUnstable', () => {
  it('names a non-active status, and says when ECS reported no events', () => {
    expect(describeUnstable(service({ status: 'DRAINING', runningCount: 1 }))).toBe(
      'api running 1/2, status DRAINING, no service events',
    );
  });

  it('truncates very long event messages', () => {
    const text = describeUnstable(service({ runningCount: 0, latestEventMessage: 'x'.repeat(1000) }));

    expect(text).toBe(`api running 0/2, latest event: ${'x'.repeat(299)}…`);
  });
});
