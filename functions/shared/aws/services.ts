/**
 * ECS adapter: what the service check needs to know about a tenant's services, reduced to
 * plain data the pure stability rules can judge (functions/check-services/stability.ts).
 */
import { DescribeServicesCommand, type DescribeServicesCommandOutput, type Service } from '@aws-sdk/client-ecs';
import { awsErrorMessage, awsErrorName, rethrowAwsError } from './errors.ts';
import { ecsClient } from './clients/ecs.ts';
import { ServicesNotStableError } from '../step/errors.ts';

/** DescribeServices accepts at most this many services per call. */
const maxServicesPerCall = 10;

/** One service as the stability rules see it. */
export interface ServiceState {
  /** The name the caller asked for. */
  readonly serviceName: string;
  /** False when ECS does not know the service in that cluster (yet, or any more). */
  readonly found: boolean;
  /** ECS status (`ACTIVE`, `DRAINING`, `INACTIVE`), or `MISSING` when ECS does not know the service. */
  readonly status: string;
  readonly runningCount: number;
  readonly desiredCount: number;
  /** `rolloutState` of the PRIMARY deployment; absent when ECS reports none (not every deployment controller does). */
  readonly rolloutState?: string;
  /** Why the rollout is in that state, e.g. the deployment circuit breaker's verdict. */
  readonly rolloutStateReason?: string;
  /** The newest service event (ECS lists events newest first): usually says why tasks do not start. */
  readonly latestEventMessage?: string;
  /** For a missing service: the reason ECS gave (`MISSING`). */
  readonly failureReason?: string;
}

/** Status given to services ECS reports as failures (not found in the cluster). */
const missingServiceStatus = 'MISSING';

/**
 * Describes services of one cluster, in the order asked, batching DescribeServices by ten.
 * A service ECS does not know comes back with status `MISSING` rather than an error, so the
 * caller can keep waiting for it (a stack may still be creating it).
 *
 * @throws ServicesNotStableError when the cluster does not exist.
 * @throws TransientAwsError on throttling and 5xx.
 */
export async function describeServices(clusterName: string, serviceNames: readonly string[]): Promise<ServiceState[]> {
  const states: ServiceState[] = [];
  for (let start = 0; start < serviceNames.length; start += maxServicesPerCall) {
    const batch = serviceNames.slice(start, start + maxServicesPerCall);
    const output = await describeBatch(clusterName, batch);
    states.push(...batch.map((name) => stateOf(name, output)));
  }
  return states;
}

async function describeBatch(clusterName: string, services: string[]): Promise<DescribeServicesCommandOutput> {
  try {
    return await ecsClient().send(new DescribeServicesCommand({ cluster: clusterName, services }));
  } catch (error) {
    if (awsErrorName(error) === 'ClusterNotFoundException') {
      throw new ServicesNotStableError(
        `ECS cluster ${clusterName} does not exist, so the tenant's services cannot run: ${awsErrorMessage(error)}`.trim(),
        { cause: error },
      );
    }
    return rethrowAwsError(error, 'DescribeServices');
  }
}

/** True when `arnOrName` names `serviceName` (ECS answers with ARNs; callers ask by name). */
function namesService(arnOrName: string | undefined, serviceName: string): boolean {
  if (arnOrName === undefined) return false;
  return arnOrName === serviceName || arnOrName.endsWith(`/${serviceName}`);
}

function stateOf(serviceName: string, output: DescribeServicesCommandOutput): ServiceState {
  const service = output.services?.find(
    (candidate) => candidate.serviceName === serviceName || namesService(candidate.serviceArn, serviceName),
  );
  if (service) return fromService(serviceName, service);
  const failure = output.failures?.find((candidate) => namesService(candidate.arn, serviceName));
  return {
    serviceName,
    found: false,
    status: missingServiceStatus,
    runningCount: 0,
    desiredCount: 0,
    // ECS answered neither way for this name: as good as missing.
    failureReason: failure?.reason ?? missingServiceStatus,
  };
}

function fromService(serviceName: string, service: Service): ServiceState {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  const latestEventMessage = service.events?.[0]?.message;
  return {
    serviceName,
    found: true,
    status: service.status ?? 'UNKNOWN',
    runningCount: service.runningCount ?? 0,
    desiredCount: service.desiredCount ?? 0,
    ...(primary?.rolloutState !== undefined ? { rolloutState: primary.rolloutState } : {}),
    ...(primary?.rolloutStateReason !== undefined ? { rolloutStateReason: primary.rolloutStateReason } : {}),
    ...(latestEventMessage !== undefined ? { latestEventMessage } : {}),
  };
}
