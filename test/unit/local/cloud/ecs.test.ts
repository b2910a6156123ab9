import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  ECSClient,
  InvalidParameterException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeServices } from '../../../../functions/shared/aws/services.ts';
import { EcsSimulator } from '../../../../local/cloud/ecs.ts';
import { FakeClock } from './cloud.fixture.ts';

let clock: FakeClock;
let ecs: EcsSimulator;

beforeEach(() => {
  clock = new FakeClock();
  ecs = new EcsSimulator({ now: clock.now, startMs: 500 });
  ecs.registerCluster('tenant-acme');
});

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function describeWeb() {
  return ecs.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] });
}

describe('EcsSimulator describeServices', () => {
  it('reports a new service pending, then running with its deployment COMPLETED startMs later', () => {
    // Arrange
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);

    // Act
    const starting = describeWeb().services?.[0];
    clock.advance(499);
    const stillStarting = describeWeb().services?.[0];
    clock.advance(1);
    const started = describeWeb().services?.[0];

    // Assert
    expect(starting).toMatchObject({
      serviceName: 'tenant-acme-web',
      serviceArn: 'arn:aws:ecs:us-east-1:111122223333:service/tenant-acme/tenant-acme-web',
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/tenant-acme',
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 2,
      deployments: [expect.objectContaining({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' })],
    });
    expect(stillStarting?.runningCount).toBe(0);
    expect(started).toMatchObject({
      runningCount: 2,
      pendingCount: 0,
      deployments: [
        expect.objectContaining({
          status: 'PRIMARY',
          rolloutState: 'COMPLETED',
          rolloutStateReason: expect.stringMatching(/completed\.$/),
        }),
      ],
    });
    expect(started?.events?.[0]?.message).toBe('(service tenant-acme-web) has reached a steady state.');
    expect(started?.events?.at(-1)?.message).toMatch(/^\(service tenant-acme-web\) has started 2 tasks/);
  });

  it('reports an unknown service as a MISSING failure', () => {
    const result = describeWeb();

    expect(result.services).toEqual([]);
    expect(result.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:111122223333:service/tenant-acme/tenant-acme-web', reason: 'MISSING' },
    ]);
  });

  it('reports an unknown cluster with ClusterNotFoundException', () => {
    const error = thrown(() => ecs.describeServices({ cluster: 'tenant-nope', services: ['x'] }));

    expect(error).toBeInstanceOf(ClusterNotFoundException);
    expect(error).toMatchObject({ name: 'ClusterNotFoundException', message: 'Cluster not found.' });
  });

  it('accepts cluster and service ARNs', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 1 }]);

    const result = ecs.describeServices({
      cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/tenant-acme',
      services: ['arn:aws:ecs:us-east-1:111122223333:service/tenant-acme/tenant-acme-web'],
    });

    expect(result.services?.map((service) => service.serviceName)).toEqual(['tenant-acme-web']);
  });

  it('refuses more than ten services in one call', () => {
    const names = Array.from({ length: 11 }, (_, index) => `s${index}`);

    expect(thrown(() => ecs.describeServices({ cluster: 'tenant-acme', services: names }))).toBeInstanceOf(
      InvalidParameterException,
    );
  });

  it('reports what a test sets: a failed rollout with its reason and newest event', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    clock.advance(100);

    ecs.setServiceHealth('tenant-acme-web', {
      runningCount: 0,
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      eventMessage: 'was unable to place a task because no container instance met all of its requirements.',
    });
    clock.advance(1000);
    const service = describeWeb().services?.[0];

    expect(service).toMatchObject({
      runningCount: 0,
      pendingCount: 0,
      deployments: [
        expect.objectContaining({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
    });
    expect(service?.events?.[0]?.message).toBe(
      '(service tenant-acme-web) was unable to place a task because no container instance met all of its requirements.',
    );
  });

  it('shows removed services as INACTIVE and a removed cluster as not found', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    clock.advance(1000);

    ecs.removeServices('tenant-acme', ['tenant-acme-web']);
    const inactive = describeWeb().services?.[0];
    ecs.removeCluster('tenant-acme');

    expect(inactive).toMatchObject({ status: 'INACTIVE', desiredCount: 0, runningCount: 0 });
    expect(thrown(describeWeb)).toBeInstanceOf(ClusterNotFoundException);
  });

  it('round-trips its state through plain JSON, timing included', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    const restored = new EcsSimulator({ now: clock.now, startMs: 500 });

    restored.fromJSON(JSON.parse(JSON.stringify(ecs.toJSON())));
    clock.advance(500);

    expect(
      restored.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] }).services?.[0]?.runningCount,
    ).toBe(2);
  });

  it('throws an injected error on the next N calls', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecs.injectError('DescribeServices', throttled, 2);

    expect(thrown(describeWeb)).toBe(throttled);
    expect(thrown(describeWeb)).toBe(throttled);
    expect(describeWeb().failures).toHaveLength(1);
  });
});

describe('EcsSimulator behind the real services adapter', () => {
  const client = mockClient(ECSClient);

  beforeEach(() => {
    client.reset();
    client.on(DescribeServicesCommand).callsFake((input) => ecs.describeServices(input));
  });

  it('gives the check step found, missing and rollout states', async () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    clock.advance(500);

    const states = await describeServices('tenant-acme', ['tenant-acme-web', 'tenant-acme-worker']);

    expect(states).toEqual([
      expect.objectContaining({
        serviceName: 'tenant-acme-web',
        found: true,
        status: 'ACTIVE',
        runningCount: 2,
        rolloutState: 'COMPLETED',
      }),
      expect.objectContaining({
        serviceName: 'tenant-acme-worker',
        found: false,
        status: 'MISSING',
        failureReason: 'MISSING',
      }),
    ]);
  });
});

describe('EcsSimulator with startLooks (readiness counted in looks, not time)', () => {
  it('reports a service starting on its first startLooks looks, however long they take, and running from the next', () => {
    // Arrange
    const counted = new EcsSimulator({ now: clock.now, startMs: 500, startLooks: 2 });
    counted.registerCluster('tenant-acme');
    counted.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    const look = () =>
      counted.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] }).services?.[0];

    // Act
    const first = look();
    clock.advance(60_000);
    const listed = counted.listServices();
    const second = look();
    const third = look();
    clock.advance(1);
    const fourth = look();

    // Assert: time alone starts nothing, inspection is not a look, the third look finds it running.
    expect(first).toMatchObject({
      runningCount: 0,
      deployments: [expect.objectContaining({ rolloutState: 'IN_PROGRESS' })],
    });
    expect(listed).toEqual([expect.objectContaining({ serviceName: 'tenant-acme-web', runningCount: 0 })]);
    expect(second).toMatchObject({
      runningCount: 0,
      deployments: [expect.objectContaining({ rolloutState: 'IN_PROGRESS' })],
    });
    expect(third).toMatchObject({
      runningCount: 2,
      deployments: [expect.objectContaining({ rolloutState: 'COMPLETED' })],
    });
    expect(third?.events?.map((event) => event.message)).toContain(
      '(service tenant-acme-web) has reached a steady state.',
    );
    expect(fourth).toMatchObject({ runningCount: 2 });
  });

  it('counts looks across a save and restore', () => {
    // Arrange
    const counted = new EcsSimulator({ now: clock.now, startLooks: 1 });
    counted.registerCluster('tenant-acme');
    counted.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 1 }]);
    counted.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] });
    const restored = new EcsSimulator({ now: clock.now, startLooks: 1 });

    // Act
    restored.fromJSON(counted.toJSON());

    // Assert
    expect(
      restored.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] }).services?.[0]?.runningCount,
    ).toBe(1);
  });
});

describe('EcsSimulator scaleService (a stack update changing DesiredCount)', () => {
  it('scales down at once and keeps the deployment completed', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    clock.advance(500);

    ecs.scaleService('tenant-acme', 'tenant-acme-web', 0);

    const [service] = describeWeb().services ?? [];
    expect(service).toMatchObject({ desiredCount: 0, runningCount: 0, pendingCount: 0, status: 'ACTIVE' });
    expect(service?.deployments?.[0]?.rolloutState).toBe('COMPLETED');
    expect(service?.events?.[0]?.message).toMatch(/has stopped 2 running tasks/);
  });

  it('scales up like a new service starts: the old tasks run until startMs later, then all of them', () => {
    ecs.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 1 }]);
    clock.advance(500);

    ecs.scaleService('tenant-acme', 'tenant-acme-web', 3);
    const starting = describeWeb().services?.[0];
    clock.advance(500);
    const started = describeWeb().services?.[0];

    expect(starting).toMatchObject({ desiredCount: 3, runningCount: 1, pendingCount: 2 });
    expect(started).toMatchObject({ desiredCount: 3, runningCount: 3, pendingCount: 0 });
    expect(started?.events?.[0]?.message).toMatch(/has reached a steady state/);
  });

  it('with startLooks, a service scaled up from 0 is seen starting that many looks, like a new one', () => {
    const counted = new EcsSimulator({ now: clock.now, startLooks: 2 });
    counted.registerCluster('tenant-acme');
    counted.registerServices('tenant-acme', [{ name: 'tenant-acme-web', desiredCount: 2 }]);
    const look = () =>
      counted.describeServices({ cluster: 'tenant-acme', services: ['tenant-acme-web'] }).services?.[0]?.runningCount;
    for (let index = 0; index < 3; index += 1) look();
    counted.scaleService('tenant-acme', 'tenant-acme-web', 0);

    counted.scaleService('tenant-acme', 'tenant-acme-web', 2);

    expect([look(), look(), look()]).toEqual([0, 0, 2]);
  });

  it('refuses a service that does not exist (a stack update only scales its own)', () => {
    expect(() => ecs.scaleService('tenant-acme', 'tenant-acme-nothing', 1)).toThrow(/No live ECS service/);
  });
});
