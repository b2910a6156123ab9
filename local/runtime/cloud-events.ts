/**
 * The events the local cloud emits to the bus, as CloudFormation and ECS do to the default bus:
 * a `CloudFormation Stack Status Change` when a stack comes to rest (CREATE_COMPLETE,
 * ROLLBACK_COMPLETE, DELETE_COMPLETE...), an `ECS Service Action` SERVICE_STEADY_STATE when a
 * service becomes stable, and an `ECS Deployment State Change` SERVICE_DEPLOYMENT_FAILED when a
 * deployment's circuit breaker fails it. They end the workflows' Await states (functions/resume-wait).
 * Statuses with an operation under way are not emitted: no rule reads them, and EventBridge drops
 * what no rule matches on the default bus.
 *
 * The local cloud computes statuses from its clock when asked, so this source looks at it every
 * `pollMs` (longer when a look itself takes long) and emits what changed since. Delivery is durable in AWS but "at least once", late and
 * in any order (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudformation.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html); the faults
 * make that happen here: a delay, a share dropped (a rule missing or disabled), every event twice,
 * each batch held back and delivered in reverse order.
 */
import {
  deploymentStateDetailType,
  serviceActionDetailType,
  stackRestStatuses,
  stackStatusDetailType,
} from '../../events/cloud-events.ts';
import type { LocalCloud } from '../cloud/index.ts';
import { envelope } from './bus.ts';

/** How the local cloud's events are delivered. */
export interface CloudEventOptions {
  /** false: no event is emitted; every wait ends at its fallback look. Default true. */
  readonly enabled?: boolean;
  /** Real milliseconds between two looks at the local cloud. Default 25 (the runtime: `timings.waitMs`, within 5 to 25). */
  readonly pollMs?: number;
  /** Extra real milliseconds before each event is delivered. Default 0. */
  readonly delayMs?: number;
  /** Share of events dropped, 0 to 1, spread evenly (every second one at 0.5). Default 0. */
  readonly dropShare?: number;
  /** Deliver every event twice. Default false. */
  readonly duplicate?: boolean;
  /** Hold each look's events back until the next look and deliver them in reverse order. Default false. */
  readonly reorder?: boolean;
}

/** What the source emitted, dropped and delivered so far. */
export interface CloudEventCounts {
  readonly emitted: number;
  readonly dropped: number;
  readonly delivered: number;
}

const restStatuses: ReadonlySet<string> = new Set(stackRestStatuses);

export class CloudEventSource {
  readonly #cloud: () => LocalCloud;
  readonly #publish: (event: unknown) => void;
  #options: CloudEventOptions;
  /** Last status seen per stack id, and per service ARN whether it was stable and failed. */
  readonly #stacks = new Map<string, string>();
  readonly #services = new Map<string, string>();
  #held: unknown[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #emitted = 0;
  #dropped = 0;
  #delivered = 0;
  /** Events handed to delivery so far (for spreading the drops evenly). */
  #considered = 0;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(cloud: () => LocalCloud, publish: (event: unknown) => void, options: CloudEventOptions = {}) {
    this.#cloud = cloud;
    this.#publish = publish;
    this.#options = options;
  }

  /** Changes how events are delivered from now on, and counts from zero again. */
  configure(options: CloudEventOptions): void {
    this.#options = { pollMs: this.#options.pollMs, ...options };
    this.#emitted = 0;
    this.#dropped = 0;
    this.#delivered = 0;
    this.#considered = 0;
    if (this.#started) {
      this.stop();
      this.start();
    }
  }

  /** Starts looking (the timer does not keep the process alive). */
  start(): void {
    if (this.#started || this.#options.enabled === false) return;
    this.#started = true;
    this.#schedule(this.#options.pollMs ?? 25);
  }

  stop(): void {
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets what was seen (a new cloud state was loaded): the next look emits nothing for what is already at rest. */
  reset(): void {
    this.#stacks.clear();
    this.#services.clear();
    this.#held = [];
    this.#observe(false);
  }

  counts(): CloudEventCounts {
    return { emitted: this.#emitted, dropped: this.#dropped, delivered: this.#delivered };
  }

  /** Resolves when every delayed delivery so far has happened. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * The next look after `pollMs`, or after ten times the last look's own time if that is longer: a look
   * reads every stack and service, so with thousands of them the source keeps to about a tenth of a core.
   */
  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      if (!this.#started) return;
      const started = performance.now();
      this.look();
      this.#schedule(Math.max(this.#options.pollMs ?? 25, 10 * (performance.now() - started)));
    }, delayMs);
    this.#timer.unref();
  }

  /** One look: emits an event for every stack and service whose state changed since the last. */
  look(): void {
    if (this.#options.enabled === false) return;
    this.#observe(true);
  }

  #observe(emit: boolean): void {
    const cloud = this.#cloud();
    const batch: unknown[] = [];
    for (const stack of cloud.cloudFormation.listStacks()) {
      const before = this.#stacks.get(stack.stackId);
      if (before === stack.status) continue;
      this.#stacks.set(stack.stackId, stack.status);
      if (restStatuses.has(stack.status)) batch.push(stackEvent(stack.stackId, stack.status));
    }
    for (const service of cloud.ecs.listServices()) {
      const stable =
        service.status === 'ACTIVE' &&
        service.desiredCount > 0 &&
        service.runningCount >= service.desiredCount &&
        (service.rolloutState === undefined || service.rolloutState === 'COMPLETED');
      const state = service.rolloutState === 'FAILED' ? 'failed' : stable ? 'stable' : 'other';
      const before = this.#services.get(service.serviceArn);
      if (before === state) continue;
      this.#services.set(service.serviceArn, state);
      if (state === 'stable') batch.push(serviceEvent(service.serviceArn, service.clusterName, 'SERVICE_STEADY_STATE'));
      if (state === 'failed')
        batch.push(serviceEvent(service.serviceArn, service.clusterName, 'SERVICE_DEPLOYMENT_FAILED'));
    }
    if (!emit) return;
    this.#emitted += batch.length;
    if (this.#options.reorder === true) {
      const release = this.#held.reverse();
      this.#held = batch;
      for (const event of release) this.#deliver(event);
      return;
    }
    for (const event of batch) this.#deliver(event);
  }

  #deliver(event: unknown): void {
    const share = this.#options.dropShare ?? 0;
    const index = this.#considered;
    this.#considered += 1;
    // Evenly spread: the n-th event is dropped when the running count of drops due rises.
    if (share > 0 && Math.floor((index + 1) * share) > Math.floor(index * share)) {
      this.#dropped += 1;
      return;
    }
    const copies = this.#options.duplicate === true ? 2 : 1;
    const delayMs = this.#options.delayMs ?? 0;
    for (let copy = 0; copy < copies; copy += 1) {
      if (delayMs <= 0) {
        this.#delivered += 1;
        this.#publish(event);
        continue;
      }
      const delivery = new Promise<void>((resolve) => {
        setTimeout(() => {
          this.#delivered += 1;
          this.#publish(event);
          resolve();
        }, delayMs);
      });
      this.#inFlight.add(delivery);
      void delivery.finally(() => this.#inFlight.delete(delivery));
    }
  }
}

function stackEvent(stackId: string, status: string): unknown {
  return envelope({
    source: 'aws.cloudformation',
    'detail-type': stackStatusDetailType,
    resources: [stackId],
    detail: { 'stack-id': stackId, 'status-details': { status, 'status-reason': '' } },
  });
}

function serviceEvent(serviceArn: string, clusterName: string, eventName: string): unknown {
  const clusterArn = serviceArn.replace(/:service\/.*$/, `:cluster/${clusterName}`);
  return envelope({
    source: 'aws.ecs',
    'detail-type': eventName === 'SERVICE_STEADY_STATE' ? serviceActionDetailType : deploymentStateDetailType,
    resources: [serviceArn],
    detail:
      eventName === 'SERVICE_STEADY_STATE'
        ? { eventType: 'INFO', eventName, clusterArn, createdAt: new Date().toISOString() }
        : {
            eventType: 'ERROR',
            eventName,
            deploymentId: 'ecs-svc/local',
            reason: 'circuit breaker',
            updatedAt: new Date().toISOString(),
          },
  });
}
