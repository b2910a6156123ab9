/**
 * Pure rules of the service check loop: when a tenant's ECS services count as stable,
 * how long the workflow waits between looks, and when it gives up.
 */
import { InvalidStepInputError, ServicesNotStableError } from '../shared/errors.ts';
import type { ServiceState } from '../shared/services.ts';
import type { ServiceProgress } from '../shared/steps.ts';

/** Longest wait between two looks, in seconds. */
const maxWaitSeconds = 30;
/** Service event messages can be long; the error names every service, so each gets this much. */
const maxEventMessageLength = 300;

/**
 * Splits the comma-separated service names a tenant template outputs, dropping blanks and
 * repeats. Throws {@link InvalidStepInputError} when no name is left.
 */
export function splitServiceNames(serviceNames: string): string[] {
  const names = [...new Set(serviceNames.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  if (names.length === 0) {
    throw new InvalidStepInputError(`check-services received no service names in "${serviceNames}"`);
  }
  return names;
}

/**
 * A service is stable when it is ACTIVE, runs at least as many tasks as it wants (and wants
 * some), and its PRIMARY deployment finished rolling out (or ECS tracks no rollout state).
 */
export function isServiceStable(service: ServiceState): boolean {
  return (
    service.found &&
    service.status === 'ACTIVE' &&
    service.desiredCount > 0 &&
    service.runningCount >= service.desiredCount &&
    (service.rolloutState === undefined || service.rolloutState === 'COMPLETED')
  );
}

/** Seconds to wait after the given number of looks: 8, 11, 17, 25, then 30. */
export function waitAfterPolls(polls: number): number {
  return Math.min(maxWaitSeconds, Math.round(5 * 1.5 ** polls));
}

/**
 * Judges one look at the services and returns the loop's next progress.
 *
 * `elapsedSeconds` is the time waited so far: the previous elapsed time plus the previous wait.
 * The wait is capped at what is left before the deadline, so the last look happens at the deadline.
 *
 * @throws ServicesNotStableError at once when a PRIMARY deployment's circuit breaker failed it
 *   (waiting cannot help), and when the services are still not stable at the deadline.
 */
export function assessServices(
  clusterName: string,
  services: readonly ServiceState[],
  previous: ServiceProgress | undefined,
  timeoutSeconds: number,
): ServiceProgress {
  const failedRollout = services.find((service) => service.rolloutState === 'FAILED');
  if (failedRollout) {
    const reason = failedRollout.rolloutStateReason ?? 'no reason given';
    throw new ServicesNotStableError(
      `ECS service ${failedRollout.serviceName} in cluster ${clusterName} failed to deploy (circuit breaker): ${reason}`,
    );
  }

  const polls = (previous?.polls ?? 0) + 1;
  const elapsedSeconds = previous ? previous.elapsedSeconds + previous.waitSeconds : 0;
  const unstable = services.filter((service) => !isServiceStable(service));
  if (unstable.length === 0) {
    return { ready: true, polls, waitSeconds: waitAfterPolls(polls), elapsedSeconds };
  }
  if (elapsedSeconds >= timeoutSeconds) {
    throw new ServicesNotStableError(
      `ECS services in cluster ${clusterName} not stable after ${elapsedSeconds} seconds: ${unstable.map(describeUnstable).join('; ')}`,
    );
  }
  const waitSeconds = Math.max(1, Math.min(waitAfterPolls(polls), timeoutSeconds - elapsedSeconds));
  return { ready: false, polls, waitSeconds, elapsedSeconds };
}

/** One unstable service, for the deadline error: what it runs and the last thing ECS said about it. */
export function describeUnstable(service: ServiceState): string {
  if (!service.found) {
    return `${service.serviceName} not found in the cluster (${service.failureReason ?? 'MISSING'})`;
  }
  const parts = [`${service.serviceName} running ${service.runningCount}/${service.desiredCount}`];
  if (service.status !== 'ACTIVE') parts.push(`status ${service.status}`);
  if (service.rolloutState !== undefined && service.rolloutState !== 'COMPLETED') parts.push(`rollout ${service.rolloutState}`);
  const event = service.latestEventMessage;
  parts.push(event !== undefined ? `latest event: ${truncate(event, maxEventMessageLength)}` : 'no service events');
  return parts.join(', ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
