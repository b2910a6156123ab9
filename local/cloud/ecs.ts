/**
 * An in-process stand-in for the ECS calls the orchestrator makes (DescribeServices), plus the
 * registration hooks the CloudFormation simulator (or a test) uses to make clusters and
 * services exist. Services start `startMs` after registration, or, with `startLooks`, once
 * DescribeServices has reported them starting that many times; tests can override their health.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ClusterNotFoundException,
  InvalidParameterException,
  type DeploymentRolloutState,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  type Service,
  type ServiceEvent,
} from '@aws-sdk/client-ecs';
import { errorMetadata, responseMetadata, simulatedAccount, simulatedRegion } from './aws-shapes.ts';
import { systemClock, type Clock } from './clock.ts';
import { FaultInjector } from './faults.ts';

/** What a test can force on a service, overriding the normal start-up progression. */
export interface ServiceHealth {
  readonly runningCount?: number;
  readonly rolloutState?: DeploymentRolloutState;
  readonly rolloutStateReason?: string;
  /** Added as the service's newest event (ECS puts task failures there). */
  readonly eventMessage?: string;
}

interface ClusterRecord {
  readonly name: string;
  readonly createdAt: number;
  deletedAt?: number;
}

interface ServiceRecord {
  readonly clusterName: string;
  readonly name: string;
  desiredCount: number;
  readonly createdAt: number;
  /** When the desired count last changed (UpdateService through a stack update); its tasks start from then. */
  scaledAt?: number;
  /** The tasks running when the count last changed: what runs until the new count's tasks have started. */
  runningBeforeScaling?: number;
  readonly deploymentId: string;
  deletedAt?: number;
  /** With `startLooks`: the DescribeServices calls that reported it starting so far. */
  looks?: number;
  /** With `startLooks`: when it started (the look that first reported it running). */
  startedAt?: number;
  health?: ServiceHealth & { readonly setAt: number };
}

/** The simulator's whole state, as `toJSON` writes it. */
export interface EcsState {
  readonly version: 1;
  readonly clusters: ClusterRecord[];
  readonly services: ServiceRecord[];
}

export interface EcsSimulatorOptions {
  /** @default Date.now */
  readonly now?: Clock;
  /** How long after registration a service's tasks run and its deployment completes. @default 500 */
  readonly startMs?: number;
  /**
   * Counts a service's start in looks instead of time (then `startMs` is unused): DescribeServices
   * reports it starting this many times, and running from the next call on. ECS promises no start
   * time, it reports a steady state once reached
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html), so
   * either model is faithful; a count lets a test say "the first look sees it starting" without a
   * wall-clock window.
   */
  readonly startLooks?: number;
}

const arnPrefix = `arn:aws:ecs:${simulatedRegion}:${simulatedAccount}`;

const rolloutWords: Record<DeploymentRolloutState, string> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  IN_PROGRESS: 'in progress',
};

/** DescribeServices takes at most this many services per call. */
const maxServicesPerCall = 10;

/** The name in a cluster ARN or name. */
function clusterNameOf(identifier: string): string {
  return identifier.startsWith('arn:') ? (identifier.split('/').at(-1) ?? identifier) : identifier;
}

function serviceArn(clusterName: string, serviceName: string): string {
  return `${arnPrefix}:service/${clusterName}/${serviceName}`;
}

/** ECS deployment ids look like `ecs-svc/` and 19 digits. */
function deploymentId(): string {
  const digits = BigInt(`0x${randomUUID().replaceAll('-', '').slice(0, 15)}`)
    .toString()
    .padStart(19, '0')
    .slice(0, 19);
  return `ecs-svc/${digits}`;
}

/** Simulates the ECS services of tenant stacks. */
export class EcsSimulator {
  readonly #now: Clock;
  readonly #startMs: number;
  readonly #startLooks: number | undefined;
  readonly #faults = new FaultInjector();
  readonly #beforeCall: (() => void)[] = [];
  #state: EcsState = { version: 1, clusters: [], services: [] };

  constructor(options: EcsSimulatorOptions = {}) {
    this.#now = options.now ?? systemClock;
    this.#startMs = options.startMs ?? 500;
    this.#startLooks = options.startLooks;
  }

  /** Runs `hook` before each API call (the CloudFormation simulator settles due stack effects there). */
  onBeforeCall(hook: () => void): void {
    this.#beforeCall.push(hook);
  }

  /** The next `times` calls of `operation` (e.g. `DescribeServices`) throw `error`. */
  injectError(operation: string, error: Error, times = 1): void {
    this.#faults.inject(operation, error, times);
  }

  /** True when the cluster exists at `at`. */
  hasCluster(name: string, at = this.#now()): boolean {
    return this.#cluster(clusterNameOf(name), at) !== undefined;
  }

  /** Creates a cluster (as of `at`); a no-op when it already exists. */
  registerCluster(name: string, at = this.#now()): void {
    if (this.hasCluster(name, at)) return;
    this.#state.clusters.push({ name, createdAt: at });
  }

  /** Deletes a cluster (as of `at`) with every service in it. */
  removeCluster(name: string, at = this.#now()): void {
    const cluster = this.#cluster(name, at);
    if (cluster === undefined) return;
    cluster.deletedAt = at;
    this.removeServices(
      name,
      this.#state.services.filter((service) => service.clusterName === name).map((service) => service.name),
      at,
    );
  }

  /** Creates services (as of `at`); each starts `startMs` later. An existing live service is replaced. */
  registerServices(
    clusterName: string,
    services: readonly { name: string; desiredCount: number }[],
    at = this.#now(),
  ): void {
    this.removeServices(
      clusterName,
      services.map((service) => service.name),
      at,
    );
    for (const service of services) {
      this.#state.services.push({
        clusterName,
        name: service.name,
        desiredCount: service.desiredCount,
        createdAt: at,
        deploymentId: deploymentId(),
      });
    }
  }

  /**
   * Changes a live service's desired count (as of `at`), as UpdateService does when a stack update
   * changes DesiredCount. Scaling up starts the new tasks like a new service's: `startMs` from
   * now, or `startLooks` looks from now, and until then the tasks that ran before keep running.
   * Scaling down takes effect at once (the deregistration delay is not modelled). No new
   * deployment: a desired count alone does not start one, only a task definition or
   * configuration change does.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
   */
  scaleService(clusterName: string, name: string, desiredCount: number, at = this.#now()): void {
    const service = this.#service(clusterName, name, at);
    if (service === undefined || service.deletedAt !== undefined) throw new Error(`No live ECS service ${name}`);
    if (desiredCount === service.desiredCount) return;
    const running = this.#view(service, at).runningCount ?? 0;
    service.scaledAt = at;
    service.runningBeforeScaling = running;
    service.desiredCount = desiredCount;
    if (desiredCount > running) {
      delete service.startedAt;
      service.looks = 0;
    }
  }

  /** Deletes services (as of `at`); ECS then reports them INACTIVE. */
  removeServices(clusterName: string, names: readonly string[], at = this.#now()): void {
    for (const name of names) {
      const service = this.#service(clusterName, name, at);
      if (service !== undefined && service.deletedAt === undefined) service.deletedAt = at;
    }
  }

  /** Overrides what ECS reports for every live service of that name (merged with earlier overrides). */
  setServiceHealth(name: string, health: ServiceHealth, clusterName?: string): void {
    const now = this.#now();
    const matches = this.#state.services.filter(
      (service) =>
        service.name === name &&
        (clusterName === undefined || service.clusterName === clusterName) &&
        service.deletedAt === undefined,
    );
    if (matches.length === 0) throw new Error(`No live ECS service named ${name} to set the health of`);
    for (const service of matches) service.health = { ...service.health, ...health, setAt: now };
  }

  /**
   * DescribeServices (at most 10 services): the services found, and a MISSING failure for each one not found.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
   */
  describeServices(input: DescribeServicesCommandInput): DescribeServicesCommandOutput {
    this.#enter('DescribeServices');
    const names = input.services ?? [];
    if (names.length === 0 || names.length > maxServicesPerCall) {
      throw new InvalidParameterException({
        message:
          names.length === 0
            ? 'Services cannot be empty.'
            : `Services cannot contain more than ${maxServicesPerCall} elements.`,
        $metadata: errorMetadata(),
      });
    }
    const now = this.#now();
    const clusterName = clusterNameOf(input.cluster ?? 'default');
    if (this.#cluster(clusterName, now) === undefined) {
      throw new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: errorMetadata() });
    }
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const identifier of names) {
      const name = identifier.split('/').at(-1) ?? identifier;
      const service = this.#service(clusterName, name, now);
      if (service === undefined) failures.push({ arn: serviceArn(clusterName, name), reason: 'MISSING' });
      else {
        this.#look(service, now);
        services.push(this.#view(service, now));
      }
    }
    return { services, failures, $metadata: responseMetadata() };
  }

  /**
   * When the next service starts its tasks after `now` (epoch ms), for a simulated clock that jumps to
   * it; undefined when none is starting on a timer (services that start on looks never are).
   */
  nextChangeAt(now = this.#now()): number | undefined {
    let next: number | undefined;
    for (const service of this.#state.services) {
      if (service.deletedAt !== undefined && service.deletedAt <= now) continue;
      const readyAt = this.#readyAt(service);
      if (readyAt > now && Number.isFinite(readyAt) && (next === undefined || readyAt < next)) next = readyAt;
    }
    return next;
  }

  /** Every service ever registered with what DescribeServices would say of it now, for inspection. */
  listServices(): {
    clusterName: string;
    serviceName: string;
    status: string;
    desiredCount: number;
    runningCount: number;
    serviceArn: string;
    /** The PRIMARY deployment's rollout state. */
    rolloutState?: string;
  }[] {
    const now = this.#now();
    return this.#state.services
      .filter((service) => service.createdAt <= now)
      .map((service) => {
        const view = this.#view(service, now);
        const rolloutState = view.deployments?.find((deployment) => deployment.status === 'PRIMARY')?.rolloutState;
        return {
          clusterName: service.clusterName,
          serviceName: service.name,
          status: view.status ?? 'UNKNOWN',
          desiredCount: view.desiredCount ?? 0,
          runningCount: view.runningCount ?? 0,
          serviceArn: serviceArn(service.clusterName, service.name),
          ...(rolloutState !== undefined ? { rolloutState } : {}),
        };
      });
  }

  /** The whole state as plain JSON (injected errors and hooks are not part of it). */
  toJSON(): EcsState {
    return structuredClone(this.#state);
  }

  /** Replaces the whole state with one `toJSON` wrote. */
  fromJSON(state: EcsState): void {
    if (state.version !== 1) throw new Error(`Unsupported ECS simulator state version ${String(state.version)}`);
    this.#state = structuredClone(state);
  }

  #enter(operation: string): void {
    for (const hook of this.#beforeCall) hook();
    this.#faults.check(operation);
  }

  /** Counts one look at a live service (`startLooks` only): the look after the last starting one finds it running. */
  #look(service: ServiceRecord, now: number): void {
    if (this.#startLooks === undefined || service.deletedAt !== undefined || service.startedAt !== undefined) return;
    if ((service.looks ?? 0) >= this.#startLooks) service.startedAt = now;
    else service.looks = (service.looks ?? 0) + 1;
  }

  /** When the service's tasks run: `startMs` after registration, or (with `startLooks`) once it was looked at enough. */
  #readyAt(service: ServiceRecord): number {
    if (this.#startLooks === undefined) return (service.scaledAt ?? service.createdAt) + this.#startMs;
    return service.startedAt ?? Number.POSITIVE_INFINITY;
  }

  #cluster(name: string, at: number): ClusterRecord | undefined {
    return this.#state.clusters.findLast(
      (cluster) =>
        cluster.name === name && cluster.createdAt <= at && (cluster.deletedAt === undefined || cluster.deletedAt > at),
    );
  }

  /** The newest service of that name in the cluster as of `at` (possibly deleted, hence INACTIVE). */
  #service(clusterName: string, name: string, at: number): ServiceRecord | undefined {
    return this.#state.services.findLast(
      (service) => service.clusterName === clusterName && service.name === name && service.createdAt <= at,
    );
  }

  #view(service: ServiceRecord, now: number): Service {
    const inactive = service.deletedAt !== undefined && service.deletedAt <= now;
    const readyAt = this.#readyAt(service);
    const ready = now >= readyAt;
    const health = service.health;
    const desiredCount = inactive ? 0 : service.desiredCount;
    const runningCount = inactive
      ? 0
      : (health?.runningCount ?? (ready ? desiredCount : Math.min(service.runningBeforeScaling ?? 0, desiredCount)));
    // Scaling is not a deployment: the deployment stays completed while the new tasks start.
    const deployed = ready || service.scaledAt !== undefined;
    const rolloutState: DeploymentRolloutState = health?.rolloutState ?? (deployed ? 'COMPLETED' : 'IN_PROGRESS');
    const pendingCount = inactive || rolloutState === 'FAILED' ? 0 : Math.max(desiredCount - runningCount, 0);
    const taskDefinition = `${arnPrefix}:task-definition/${service.name}:1`;
    const label = `(service ${service.name})`;
    const events: ServiceEvent[] = [];
    // Ids derive from the deployment and the message so repeated calls report the same events.
    const digest = (text: string): string =>
      createHash('sha256').update(`${service.deploymentId}\n${text}`).digest('hex');
    const event = (at: number, message: string): void => {
      if (at <= now) events.push({ id: digest(`${at}\n${message}`).slice(0, 36), createdAt: new Date(at), message });
    };
    if (service.scaledAt === undefined && service.desiredCount > 0)
      event(
        service.createdAt,
        `${label} has started ${service.desiredCount} tasks: (task ${digest('task').slice(0, 32)}).`,
      );
    if (service.scaledAt !== undefined) {
      const before = service.runningBeforeScaling ?? 0;
      if (service.desiredCount > before)
        event(
          service.scaledAt,
          `${label} has started ${service.desiredCount - before} tasks: (task ${digest(`task-${service.scaledAt}`).slice(0, 32)}).`,
        );
      else
        event(
          service.scaledAt,
          `${label} has stopped ${before - service.desiredCount} running tasks: (task ${digest(`task-${service.scaledAt}`).slice(0, 32)}).`,
        );
    }
    if (health?.rolloutState === undefined || health.setAt > readyAt) {
      if (service.scaledAt === undefined)
        event(readyAt, `${label} (deployment ${service.deploymentId}) deployment completed.`);
      event(readyAt, `${label} has reached a steady state.`);
    }
    if (health?.eventMessage !== undefined) event(health.setAt, `${label} ${health.eventMessage}`);
    events.reverse();
    return {
      serviceArn: serviceArn(service.clusterName, service.name),
      serviceName: service.name,
      clusterArn: `${arnPrefix}:cluster/${service.clusterName}`,
      status: inactive ? 'INACTIVE' : 'ACTIVE',
      desiredCount,
      runningCount,
      pendingCount,
      launchType: 'FARGATE',
      taskDefinition,
      deployments: inactive
        ? []
        : [
            {
              id: service.deploymentId,
              status: 'PRIMARY',
              taskDefinition,
              desiredCount,
              pendingCount,
              runningCount,
              failedTasks: 0,
              createdAt: new Date(service.createdAt),
              updatedAt: new Date(Math.max(ready ? readyAt : service.createdAt, health?.setAt ?? 0)),
              launchType: 'FARGATE',
              rolloutState,
              rolloutStateReason:
                health?.rolloutStateReason ?? `ECS deployment ${service.deploymentId} ${rolloutWords[rolloutState]}.`,
            },
          ],
      events,
      createdAt: new Date(service.createdAt),
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
    };
  }
}
