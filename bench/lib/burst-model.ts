/**
 * What a burst of silo tenants costs this orchestrator in AWS, modelled (the local scale runs use
 * tiny durations, so they cannot show it): admission control lets `slots` tenants have a stack
 * operation in flight; the others are queued, and a queued execution keeps polling on the stack
 * loop's schedule (up to a minute apart) until it gets a slot. Each extra look is one pass of the
 * loop's states (`transitionsPerLook`, read from the definition by the caller), a Lambda invocation
 * and a slot query.
 */
import { prices } from './pricing.ts';
import { loopCount, stackLoopWaits } from './wait-schedule.ts';

export interface BurstInput {
  /** Silo tenants arriving at once (pool tenants need no slot). */
  readonly siloTenants: number;
  /** MAX_STACK_OPERATIONS. */
  readonly slots: number;
  /** Seconds a stack takes to create. */
  readonly stackSeconds: number;
  /** Billed transitions of one more pass of the stack loop (bench/lib/observer.ts, `loopPassTransitions`). */
  readonly transitionsPerLook: number;
  /**
   * Seconds from a slot being freed to a queued tenant's next look taking it: half the longest
   * wait (60 s) on average. An assumption.
   */
  readonly pickUpSeconds?: number;
}

export interface BurstOutcome {
  readonly siloTenants: number;
  readonly slots: number;
  /** Seconds a slot is held per tenant: until the loop sees the stack complete. */
  readonly holdSeconds: number;
  /** Hours until the last silo tenant's loop sees its stack complete. */
  readonly makespanHours: number;
  /** Mean looks per silo tenant beyond those of an unqueued tenant. */
  readonly meanExtraLooks: number;
  /** Dollars those extra looks add per silo tenant (transitions, invocations, one slot query each). */
  readonly meanExtraCost: number;
}

/** Models a burst of silo tenants arriving at once (see the module comment). */
export function modelBurst(input: BurstInput): BurstOutcome {
  const { siloTenants, slots, stackSeconds, transitionsPerLook } = input;
  if (!(siloTenants >= 0 && slots >= 1)) throw new RangeError('a burst needs tenants >= 0 and at least one slot');
  const pickUpSeconds = input.pickUpSeconds ?? 30;
  const unqueued = loopCount(stackSeconds, stackLoopWaits);
  const holdSeconds = unqueued.waitedSeconds;
  const cycle = holdSeconds + pickUpSeconds;
  let extraLooks = 0;
  let lastEnd = 0;
  for (let index = 0; index < siloTenants; index += 1) {
    const start = Math.floor(index / slots) * cycle;
    const loop = loopCount(start + stackSeconds, stackLoopWaits);
    extraLooks += loop.looks - unqueued.looks;
    lastEnd = Math.max(lastEnd, loop.waitedSeconds);
  }
  const meanExtraLooks = siloTenants === 0 ? 0 : extraLooks / siloTenants;
  const perLook =
    transitionsPerLook * prices.stepFunctionsTransition.dollars +
    prices.lambdaRequest.dollars +
    prices.dynamoDbReadUnit.dollars;
  return {
    siloTenants,
    slots,
    holdSeconds,
    makespanHours: lastEnd / 3600,
    meanExtraLooks,
    meanExtraCost: meanExtraLooks * perLook,
  };
}
