/**
 * A differential scenario: a short script of the calls a handler makes, through the handlers' own
 * adapters (functions/shared/aws/*, functions/shared/registry/*), returning what the handler would
 * read. The runner plays it once against each target and compares the two results.
 */
import type { World } from './world.ts';

export type Service =
  | 'CloudFormation'
  | 'ElasticLoadBalancingV2'
  | 'ECS'
  | 'DynamoDB'
  | 'EventBridge'
  | 'StepFunctions';

export interface Scenario {
  /** Unique, kebab-case: the deviation list and the report refer to it. */
  readonly name: string;
  readonly service: Service;
  /** The AWS operations it exercises, e.g. `CreateStack`. */
  readonly calls: readonly string[];
  /** Plays the scenario; the result is plain JSON. Differences in ids and times are normalised by the runner. */
  run(world: World): Promise<unknown>;
}

/** What a handler sees of a failed call: the error's name, its cause's name (the SDK exception an adapter wrapped), and its code. */
export interface Failure {
  readonly thrown: string;
  readonly cause?: string;
}

/** Runs `call`, returning its value or what it threw. */
export async function settle<T>(call: () => Promise<T>): Promise<{ value: T } | Failure> {
  try {
    return { value: await call() };
  } catch (error) {
    const failure = error as { name?: string; cause?: { name?: string } };
    return {
      thrown: failure.name ?? 'Error',
      ...(failure.cause?.name !== undefined ? { cause: failure.cause.name } : {}),
    };
  }
}

/** Runs `call` expecting it to throw; the error's message too, for scenarios where the text is what the handler reads. */
export async function failureWithMessage(call: () => Promise<unknown>): Promise<Failure & { message?: string }> {
  try {
    await call();
    return { thrown: 'nothing' };
  } catch (error) {
    const failure = error as { name?: string; message?: string; cause?: { name?: string } };
    return {
      thrown: failure.name ?? 'Error',
      ...(failure.cause?.name !== undefined ? { cause: failure.cause.name } : {}),
      ...(failure.message !== undefined ? { message: failure.message } : {}),
    };
  }
}
