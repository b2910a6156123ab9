/**
 * What a scenario runs against: the handlers' own SDK clients pointed at one target (the local
 * cloud, or moto), plus the few resources that must exist before the orchestrator's calls make
 * sense (the shared load balancers' listeners, the pooled target groups, the shared cluster, the
 * registry table, a state machine, the bus). Each target builds these its own way; scenarios only
 * see this interface, so the two runs make the very same calls.
 */
import type { RouteListener, StackConfig } from '../../functions/shared/config/environment.ts';

export type TargetName = 'local' | 'moto';

export interface World {
  readonly target: TargetName;
  /** Two listeners, each on a load balancer of its own (the rule quota counts per load balancer). */
  readonly listeners: readonly [RouteListener, RouteListener];
  /** A well-formed listener ARN no load balancer has. */
  readonly missingListenerArn: string;
  /** A well-formed target group ARN that does not exist. */
  readonly missingTargetGroupArn: string;
  /** The cluster silo-services stacks run their services in. */
  readonly sharedCluster: string;
  readonly registryTable: string;
  /** The onboarding state machine (the admission function starts it; the reporter and sweep read it). */
  readonly stateMachineArn: string;
  readonly eventBusName: string;
  /** The plan step's configuration, as the handlers read it from TENANT_STACK_PARAMETERS and friends. */
  readonly stackConfig: StackConfig;
  /** The role the converge step passes to CloudFormation. */
  readonly cloudFormationRoleArn: string;
  /**
   * Values that legitimately differ between targets (generated ids, account-specific ARNs), each
   * with the placeholder that replaces it before the two runs are compared.
   */
  readonly aliases: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Polls `look` until `done` holds or `deadlineMs` passes; returns every distinct value seen, in order. */
export async function observeUntil<T>(
  look: () => Promise<T>,
  done: (value: T) => boolean,
  options: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<{ seen: T[]; last: T; timedOut: boolean }> {
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);
  const seen: T[] = [];
  for (;;) {
    const value = await look();
    const key = JSON.stringify(value);
    if (seen.length === 0 || JSON.stringify(seen[seen.length - 1]) !== key) seen.push(value);
    if (done(value)) return { seen, last: value, timedOut: false };
    if (Date.now() > deadline) return { seen, last: value, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** The ARN Step Functions gives execution `name` of the world's state machine. */
export function executionArnOf(world: Pick<World, 'stateMachineArn'>, name: string): string {
  return `${world.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
