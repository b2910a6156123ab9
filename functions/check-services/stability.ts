/**
 * Pure rules of the service check loop: when a tenant's ECS services count as stable,
 * how long the workflow waits between looks, and when it gives up.
 */
import { InvalidStepInputError, ServicesNotStableError } from '../shared/step/errors.ts';
import type { ServiceState } from '../shared/aws/services.ts';
import type { ServiceProgress } from '../shared/step/schemas.ts';

/** Longest wait between two looks, in seconds. */
const maxWaitSeconds = 30;
/** Service event messages can be long; the error names every service, so each gets this much. */
const maxEventMessageLength = 300;

/**
 * Splits the comma-separated service names a tenant template outputs, dropping blanks and
 * repeats. Throws {@link InvalidStepInputError} when no name is left.
 */
export function splitServiceNames(serviceNames: string): string[] {
  const names = [
    ...new Set(
      serviceNames
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
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

/**
 * With event-driven waits, the seconds before the fallback look: ECS's steady-state or deployment
 * event ends the wait (functions/resume-wait), so this look only bounds what a lost event costs.
 */
export const servicesFallbackSeconds = 300;

/** Seconds to wait after the given number of looks: 8, 11, 17, 25, then 30. */
export function waitAfterPolls(polls: number): number {
  return Math.min(maxWaitSeconds, Math.round(5 * 1.5 ** polls));
}

/**
 * The progress this look continues from: none on the loop's first look, and none after a redrive.
 * A redriven execution runs the failed state again with its old input, whose progress had used up
 * the whole budget; only the larger `redriveCount` (`$$.Execution.RedriveCount`) tells the new
 * attempt apart, so it starts over (as converge-stacks' `beginCall` does).
 */
export function continuedProgress(
  previous: ServiceProgress | undefined,
  redriveCount: number,
): ServiceProgress | undefined {
  if (previous === undefined) return undefined;
  return (previous.redriveCount ?? 0) < redriveCount ? undefined : previous;
}

/**
 * Judges one look at the services and returns the loop's next progress.
 *
 * `elapsedSeconds` is the time waited so far in this attempt: the previous elapsed time plus the
 * previous wait, from 0 again after a redrive (see {@link continuedProgress}).
 * The wait is capped at what is left before the deadline, so the last look happens at the deadline.
 *
 * @param redriveCount `$$.Execution.RedriveCount` of this call (0 when the definition passes none).
 * @throws ServicesNotStableError at once when a PRIMARY deployment's circuit breaker failed it
 *   (waiting cannot help), and when the services are still not stable at the deadline.
 */
export function assessServices(
  clusterName: string,
  services: readonly ServiceState[],
  progress: ServiceProgress | undefined,
  timeoutSeconds: number,
  redriveCount = 0,
  /** The wait ends on ECS's event, with a slow fallback look; else it polls. */
  eventDriven = false,
): ServiceProgress {
  const previous = continuedProgress(progress, redriveCount);
  const attempt = { redriveCount: previous?.redriveCount ?? redriveCount };
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
    return { ready: true, polls, waitSeconds: waitAfterPolls(polls), elapsedSeconds, ...attempt };
  }
  if (elapsedSeconds >= timeoutSeconds) {
    throw new ServicesNotStableError(
      `ECS services in cluster ${clusterName} not stable after ${elapsedSeconds} seconds: ${unstable.map(describeUnstable).join('; ')}`,
    );
  }
  const interval = eventDriven ? servicesFallbackSeconds : waitAfterPolls(polls);
  const waitSeconds = Math.max(1, Math.min(interval, timeoutSeconds - elapsedSeconds));
  return { ready: false, polls, waitSeconds, elapsedSeconds, ...attempt };
}

/** One unstable service, for the deadline error: what it runs and the last thing ECS said about it. */
export function describeUnstable(service: ServiceState): string {
  if (!service.found) {
    return `${service.serviceName} not found in the cluster (${service.failureReason ?? 'MISSING'})`;
  }
  const parts = [`${service.serviceName} running ${service.runningCount}/${service.desiredCount}`];
  if (service.status !== 'ACTIVE') parts.push(`status ${service.status}`);
  if (service.rolloutState !== undefined && service.rolloutState !== 'COMPLETED')
    parts.push(`rollout ${service.rolloutState}`);
  const event = service.latestEventMessage;
  parts.push(event !== undefined ? `latest event: ${truncate(event, maxEventMessageLength)}` : 'no service events');
  return parts.join(', ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
