/**
 * Runs the real state machine definitions with the real handlers as task overrides, on
 * aws-local-stepfunctions. Used by the workflow tests and by the local runtime.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { workflowFunctions, type WorkflowFunctionPlaceholder } from '../functions/lambda-functions.ts';
import {
  orchestratorFunctionMemoryMb,
  workflowFunctionTimeoutSeconds,
} from '../infra/constructs/orchestrator-function.ts';
import { attachCallMiddleware, handlerClients, type HandlerService } from './sdk-middleware.ts';
import { openTaskToken } from './task-tokens.ts';

import { FleetWorkflowName, WorkflowName } from '../events/contract.ts';

export { FleetWorkflowName, WorkflowName };

/** Every request workflow (one a control-plane request starts), in the order the local runtime registers them. */
export const allWorkflows: readonly WorkflowName[] = Object.values(WorkflowName);

/** Any workflow the runner runs: the request workflows and the fleet workflows (the rollout and its waves). */
export type LocalWorkflow = WorkflowName | FleetWorkflowName;

/** Every workflow the local runtime runs. */
export const allLocalWorkflows: readonly LocalWorkflow[] = [...allWorkflows, ...Object.values(FleetWorkflowName)];

const region = 'us-east-1';
const account = '111122223333';

/** The fake ARN a placeholder resolves to locally. */
export function localFunctionArn(placeholder: WorkflowFunctionPlaceholder): string {
  return `arn:aws:lambda:${region}:${account}:function:tenant-orchestrator-${workflowFunctions[placeholder]}`;
}

export function localStateMachineArn(workflow: LocalWorkflow): string {
  return `arn:aws:states:${region}:${account}:stateMachine:tenant-${workflow}`;
}

/** The ARN of a local execution of a workflow, as Step Functions forms it. */
export function localExecutionArn(workflow: LocalWorkflow, executionName: string): string {
  return `arn:aws:states:${region}:${account}:execution:tenant-${workflow}:${executionName}`;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: unknown[];
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  [key: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

/**
 * Every state of a definition, the states of its Map states' item processors included (a Map's
 * Tasks and Waits need their local handlers and timings like the top-level ones). State names are
 * unique across a whole definition in the workflows here.
 */
export function statesOf(definition: Pick<AslDefinition, 'States'>): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]): [string, AslState][] => {
    const processor = (state.ItemProcessor ?? state.Iterator) as Pick<AslDefinition, 'States'> | undefined;
    return [[name, state], ...(state.Type === 'Map' && processor !== undefined ? statesOf(processor) : [])];
  });
}

/** Reads an ASL file as written, placeholders included. */
export function readDefinitionText(workflow: LocalWorkflow): string {
  return readFileSync(fileURLToPath(new URL(`../statemachines/${workflow}.asl.json`, import.meta.url)), 'utf8');
}

/** The definition with every `${...}` placeholder substituted; throws if one is left. */
export function loadDefinition(workflow: LocalWorkflow): AslDefinition {
  const text = readDefinitionText(workflow).replace(/\$\{([A-Za-z0-9]+)\}/g, (match, name: string) => {
    if (!(name in workflowFunctions)) throw new Error(`${workflow}.asl.json uses unknown placeholder ${match}`);
    return localFunctionArn(name as WorkflowFunctionPlaceholder);
  });
  return JSON.parse(text) as AslDefinition;
}

/** A Lambda function's handler, as the runner invokes it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const handlerCache = new Map<string, Promise<LambdaHandler>>();

/** Imports a function's real handler module (once). */
export function loadHandler(directory: string): Promise<LambdaHandler> {
  let loaded = handlerCache.get(directory);
  if (!loaded) {
    loaded = import(`../functions/${directory}/handler.ts`).then(
      (module: { handler: LambdaHandler }) => module.handler,
    );
    handlerCache.set(directory, loaded);
  }
  return loaded;
}

/** The handler of the function with this ARN: a fixture's, else the orchestrator's own. */
function handlerOf(
  functionArn: string,
  fixtures: Readonly<Record<string, LambdaHandler>> | undefined,
): (() => Promise<LambdaHandler>) | undefined {
  const fixture = fixtures?.[functionArn];
  if (fixture) return () => Promise.resolve(fixture);
  const placeholder = (Object.keys(workflowFunctions) as WorkflowFunctionPlaceholder[]).find(
    (key) => localFunctionArn(key) === functionArn,
  );
  return placeholder === undefined ? undefined : () => loadHandler(workflowFunctions[placeholder]);
}

/** What Step Functions reports when a Lambda function runs past its timeout (newer runtimes). */
export class LambdaTimeoutError extends Error {
  override readonly name = 'Sandbox.Timedout';
}

/** What Step Functions reports when a Task state runs past its own `TimeoutSeconds`. */
class StatesTimeoutError extends Error {
  override readonly name = 'States.Timeout';
}

/** What Step Functions reports when a Task's `HeartbeatSeconds` pass without a heartbeat. */
class HeartbeatTimeoutError extends Error {
  override readonly name = 'States.HeartbeatTimeout';
}

/**
 * The Resource of a Task that invokes a Lambda function and then waits for its task token (the
 * callback pattern), the only service integration the runner models.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */
export const waitForTaskTokenResource = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/**
 * What `$$.Task.Token` resolves to inside aws-local-stepfunctions, which has no task tokens: each
 * attempt of a callback Task swaps its own fresh token in for it.
 */
const taskTokenPlaceholder = `local-task-token-${randomUUID()}`;

/** `value` with the placeholder replaced by `token` wherever it occurs (intrinsics may embed it in a string). */
function withTaskToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.replaceAll(taskTokenPlaceholder, token);
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, token));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withTaskToken(item, token)]));
  return value;
}

/**
 * Lambda's timeout of the workflow functions, as the CDK construct configures them: the
 * construct's default, which OrchestratorFunctions overrides only for the event functions (the
 * admission function, the failure reporter and the sweep), never run as Task states.
 */
export const taskFunctionTimeoutSeconds = workflowFunctionTimeoutSeconds;

/**
 * What the runner tells aws-local-stepfunctions a Task's timeout is: the longest a timer can wait
 * (2^31 - 1 ms), so the library's own default of 60 s never applies. Step Functions has no such
 * default: a Task without `TimeoutSeconds` waits for the Lambda function, whose own timeout ends
 * it ("If not provided, the default value is 99999999";
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html). The runner applies the
 * function's timeout and the state's own `TimeoutSeconds` itself, counted from when the
 * invocation starts running, never from when it began waiting for an invocation slot.
 */
const libraryTaskTimeoutSeconds = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Lambda gives every invocation its own sandbox; here every invocation shares one process, one
 * event loop and one DynamoDB. At most this many handler invocations run at once and the rest
 * queue, so a burst of executions slows down evenly instead of starving every invocation until
 * SDK calls time out.
 *
 * The queue stands in for Lambda's throttling and the workflows' retry of it. In AWS a function
 * at its concurrency limit refuses a synchronous invocation with a throttling error (429,
 * `Lambda.TooManyRequestsException` in Step Functions), which runs nothing and uses none of the
 * function's timeout, and the Task state's throttling retrier tries again after a backoff
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). Throwing that error here
 * instead would be less true, not more: this bound is one process's, far below Lambda's
 * (1,000 concurrent executions per account and Region by default, and each function scales by
 * 1,000 execution environments every 10 seconds,
 * https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html), and the local runtime
 * shortens retry intervals to milliseconds, so a throttled burst would use up every retry before
 * a slot came free and fail where AWS would serve it. A queued invocation is what a throttled one
 * retried until it runs comes to: nothing runs and no timeout counts while it waits. What the
 * queue cannot show is a burst that outlasts the throttling retrier; the step fault
 * `{ kind: 'throttled' }` (runtime/faults.ts) rehearses that retrier instead.
 */
export const maxConcurrentInvocations = 32;
let runningInvocations = 0;
const queuedInvocations: (() => void)[] = [];

/** Waits for an invocation slot (first come, first served). */
async function takeInvocationSlot(): Promise<void> {
  if (runningInvocations >= maxConcurrentInvocations)
    await new Promise<void>((resolve) => queuedInvocations.push(resolve));
  else runningInvocations += 1;
}

/** Hands the slot straight to the next queued invocation, or gives it back. */
function releaseInvocationSlot(): void {
  const next = queuedInvocations.shift();
  if (next) next();
  else runningInvocations -= 1;
}

/** One running invocation, as its handler's SDK calls see it. */
interface Sandbox {
  /** True once the invocation has timed out: Lambda has stopped its sandbox. */
  stopped: boolean;
}

const sandboxes = new AsyncLocalStorage<Sandbox>();
let sandboxGuardAttached = false;

/**
 * Once per process, on every handler client: an SDK call made by an invocation that has timed out
 * fails without being made. Lambda stops a timed-out invocation's sandbox, so it makes no further
 * calls (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html); here its
 * promise runs on, and without this guard it could still take a stack-operation slot or write
 * after its execution had retried or failed.
 */
function guardTimedOutInvocations(): void {
  if (sandboxGuardAttached) return;
  sandboxGuardAttached = true;
  for (const service of Object.keys(handlerClients) as HandlerService[]) {
    attachCallMiddleware(handlerClients[service](), {
      name: 'localLambdaSandbox',
      priority: 'high',
      handle: (call, next) => {
        if (sandboxes.getStore()?.stopped === true)
          return Promise.reject(
            new LambdaTimeoutError(`${call.operation} not made: the invocation timed out and its sandbox was stopped`),
          );
        return next();
      },
    });
  }
}

/**
 * Runs one invocation of a Task state's function within its timeouts, counted from now (the
 * invocation has its slot): past the function's timeout the attempt fails with Sandbox.Timedout,
 * as Lambda reports it; past the state's own `TimeoutSeconds`, with States.Timeout. Either way
 * the slot is freed then, as Lambda frees a timed-out invocation's concurrency.
 */
async function runInvocation<T>(
  invoke: (deadline: number) => Promise<T>,
  timeouts: { readonly functionSeconds: number; readonly stateSeconds?: number },
): Promise<T> {
  const sandbox: Sandbox = { stopped: false };
  const started = performance.now();
  const functionMs = timeouts.functionSeconds * 1000;
  const stateMs = timeouts.stateSeconds === undefined ? Number.POSITIVE_INFINITY : timeouts.stateSeconds * 1000;
  const limitMs = Math.min(functionMs, stateMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      sandbox.stopped = true;
      reject(
        stateMs < functionMs
          ? new StatesTimeoutError(`The Task state ran past its TimeoutSeconds (${timeouts.stateSeconds} s)`)
          : new LambdaTimeoutError(`Task timed out after ${timeouts.functionSeconds}.00 seconds`),
      );
    }, limitMs);
  });
  try {
    return await Promise.race([sandboxes.run(sandbox, () => invoke(started + functionMs)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One attempt of a callback Task: a fresh token, the function invoked with it (within the
 * function's timeout, holding an invocation slot only while it runs), then the wait for
 * SendTaskSuccess or SendTaskFailure. The state's `TimeoutSeconds` bounds the whole attempt,
 * heartbeats or not, and `HeartbeatSeconds` the time between heartbeats, both counted from when
 * the invocation has its slot, as for any Task
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html); without
 * `TimeoutSeconds` it waits as long as the execution lasts
 * (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-stuck-execution.html). A failed invocation fails the attempt
 * unless the token was answered first. Whatever ends the attempt closes its token: a retry or a
 * redrive runs a new attempt with a new token.
 */
async function runCallbackTask(
  invoke: (token: string, deadline: number) => Promise<unknown>,
  timeouts: {
    readonly functionSeconds: number;
    readonly stateSeconds?: number;
    /** Replaces `stateSeconds` as the timer's length (a shortened fallback look); the error still names the seconds. */
    readonly stateMs?: number;
    readonly heartbeatSeconds?: number;
  },
  onSubmitted: () => void,
): Promise<unknown> {
  await takeInvocationSlot();
  const { stateSeconds, heartbeatSeconds } = timeouts;
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  const beat = () => {
    if (heartbeatSeconds === undefined) return;
    clearTimeout(heartbeatTimer);
    heartbeatTimer = setTimeout(
      () => wait.fail(new HeartbeatTimeoutError(`No heartbeat within HeartbeatSeconds (${heartbeatSeconds} s)`)),
      heartbeatSeconds * 1000,
    );
  };
  const wait = openTaskToken(beat);
  beat();
  const startTimeout = () =>
    stateSeconds === undefined
      ? undefined
      : setTimeout(
          () => wait.fail(new StatesTimeoutError(`The Task state ran past its TimeoutSeconds (${stateSeconds} s)`)),
          timeouts.stateMs ?? stateSeconds * 1000,
        );
  // A shortened timeout (an Await state's fallback look, minutes in AWS) starts once the invocation
  // returned: in AWS it cannot pass during an invocation bounded by the function's 20-second timeout.
  let timeoutTimer = timeouts.stateMs === undefined ? startTimeout() : undefined;
  void runInvocation((deadline) => invoke(wait.token, deadline), { functionSeconds: timeouts.functionSeconds })
    .then(
      () => {
        if (wait.closed()) return;
        onSubmitted();
        if (timeouts.stateMs !== undefined) timeoutTimer = startTimeout();
      },
      (error: unknown) => wait.fail(error instanceof Error ? error : new Error(String(error))),
    )
    .finally(releaseInvocationSlot);
  try {
    return await wait.outcome;
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(heartbeatTimer);
  }
}

/** The Parameters key that carries a callback Task's resolved TimeoutSecondsPath to the runner. */
const timeoutSecondsKey = `local-timeout-seconds-${randomUUID()}`;

/** What Step Functions reports when a path of the state cannot be resolved or has the wrong type. */
class StatesRuntimeError extends Error {
  override readonly name = 'States.Runtime';
}

/**
 * The seconds a TimeoutSecondsPath selects: "When resolved, the reference path must select fields
 * whose values are positive integers" (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html);
 * anything else fails the state with States.Runtime.
 */
function resolvedTimeoutSeconds(stateName: string, path: string, taskInput: unknown): number {
  const value = (taskInput as Record<string, unknown>)[timeoutSecondsKey];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new StatesRuntimeError(
      `State ${stateName}: TimeoutSecondsPath ${path} selects ${JSON.stringify(value)}, not a positive integer`,
    );
  return value;
}

let invocationCounter = 0;

/**
 * A Lambda context as the runtime would pass it. `remainingMilliseconds` defaults to a fixed
 * minute (the event functions' callers); a Task's invocation counts down to its timeout.
 */
export function lambdaContext(functionName: string, remainingMilliseconds: () => number = () => 60_000): Context {
  invocationCounter += 1;
  const requestId = `local-${process.pid}-${invocationCounter}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: String(orchestratorFunctionMemoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: remainingMilliseconds,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** One state-level event of a run, like the console's execution history. */
export interface HistoryEntry {
  readonly type:
    | 'StateEntered'
    | 'StateExited'
    | 'StateFailed'
    | 'StateRetried'
    /** A callback Task's function returned; the Task now waits for its token to be answered. */
    | 'TaskSubmitted'
    | 'ExecutionSucceeded'
    | 'ExecutionFailed';
  readonly state?: string;
  readonly at: number;
  readonly error?: string;
  readonly cause?: string;
}

export interface WorkflowResult {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** The state the execution stopped at when it failed. */
  readonly failedState?: string;
  readonly history: readonly HistoryEntry[];
  /** State transitions (entered states), the unit Step Functions Standard bills. */
  readonly transitions: number;
}

export interface RunOptions {
  /** Name of the execution (unique per run); derived when absent. */
  readonly executionName?: string;
  /** Called for every history entry as it happens (progress display). */
  readonly onEvent?: (entry: HistoryEntry) => void;
  /** Wait-state duration in milliseconds (default 0: waits are skipped). */
  readonly waitMilliseconds?: number;
  /**
   * Milliseconds per minute of TimeoutSeconds (at least one minute) of the callback Tasks that wait
   * between two looks of a stack or services loop (the await-change function's Await states). They
   * stand for the Wait states of the polling loops, which last `waitMilliseconds` each whatever
   * their 30 to 60 seconds; a fallback look 10 minutes away lasts 10 of those, so a loop's
   * deadline is as far away in real time as it was when the loop polled. Default:
   * `waitMilliseconds`, or 0.
   */
  readonly awaitTimeoutMilliseconds?: number;
  /** Called with the execution ARN before the first state runs. */
  readonly onStart?: (executionArn: string) => void;
  /** Retry interval of every Retry rule in milliseconds (default 0: retries are immediate). */
  readonly retryIntervalMilliseconds?: number;
  /**
   * Called before each attempt of a Task state's handler; what it throws fails that attempt as if
   * the Lambda function had thrown it (the local runtime injects step faults here).
   */
  readonly beforeTask?: (stateName: string) => void;
  /**
   * Wraps each attempt of a Task state (after `beforeTask`, once the attempt has an invocation
   * slot, within its timeouts): `invoke` runs the real handler. The local runtime uses it to tell
   * SDK calls which state they belong to and to fail an attempt after its handler ran (a Lambda timeout).
   */
  readonly aroundTask?: (stateName: string, invoke: () => Promise<unknown>) => Promise<unknown>;
  /** Called with each state's input as it is entered (a redrive restarts the failed state with it). */
  readonly onStateEntered?: (stateName: string, input: unknown) => void;
  /** A redrive: run from this state instead of the definition's StartAt. */
  readonly startAt?: string;
  /** `$$.Execution.RedriveCount` (default 0). */
  readonly redriveCount?: number;
  /** Runs this definition instead of the workflow's file (test fixtures); its ARNs are used as written. */
  readonly definition?: AslDefinition;
  /** Handlers by function ARN, used instead of the orchestrator's own functions (test fixtures). */
  readonly functions?: Readonly<Record<string, LambdaHandler>>;
}

let executionCounter = 0;

/** Workflows whose definition has passed validation in this process. */
const validatedWorkflows = new Set<LocalWorkflow>();

/** Runs one workflow to completion with the real handlers. */
export async function runWorkflow(
  workflow: LocalWorkflow,
  input: unknown,
  options: RunOptions = {},
): Promise<WorkflowResult> {
  const definition = options.definition === undefined ? loadDefinition(workflow) : structuredClone(options.definition);
  if (options.startAt !== undefined) {
    if (definition.States[options.startAt] === undefined)
      throw new Error(`${workflow} has no state named ${options.startAt}`);
    definition.StartAt = options.startAt;
  }
  // aws-local-stepfunctions times an execution with one timer, which cannot run longer than
  // 2^31 - 1 ms (24.8 days); a longer TimeoutSeconds (a rollout may run for up to the year Step
  // Functions allows a Standard execution) would fire at once. No local run lasts that long.
  if (typeof definition.TimeoutSeconds === 'number' && definition.TimeoutSeconds > libraryTaskTimeoutSeconds)
    definition.TimeoutSeconds = libraryTaskTimeoutSeconds;
  executionCounter += 1;
  const name = options.executionName ?? `${workflow}-${Date.now()}-${process.pid}-${executionCounter}`;
  const executionArn = localExecutionArn(workflow, name);
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const history: HistoryEntry[] = [];
  const record = (entry: HistoryEntry) => {
    history.push(entry);
    options.onEvent?.(entry);
  };
  guardTimedOutInvocations();
  for (const [stateName, state] of statesOf(definition)) {
    if (state.Type === 'Wait') waitTimeOverrides[stateName] = options.waitMilliseconds ?? 0;
    if (state.Type === 'Task' && state.Resource) {
      const callback = state.Resource === waitForTaskTokenResource;
      const functionArn = callback ? state.Parameters?.FunctionName : state.Resource;
      if (callback && (typeof functionArn !== 'string' || state.Parameters?.Payload === undefined))
        throw new Error(`State ${stateName}: the local runner needs a literal FunctionName and a Payload`);
      const handler = handlerOf(String(functionArn), options.functions);
      if (!handler) throw new Error(`State ${stateName} has no local handler for ${String(functionArn)}`);
      if (
        (!callback && 'TimeoutSecondsPath' in state) ||
        'HeartbeatSecondsPath' in state ||
        (!callback && 'HeartbeatSeconds' in state)
      )
        throw new Error(
          `State ${stateName}: the local runner models TimeoutSeconds, and HeartbeatSeconds and TimeoutSecondsPath of callback tasks only`,
        );
      // "A Task state cannot include both TimeoutSeconds and TimeoutSecondsPath"
      // (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html); InputPath would change
      // what the path is read from, and no definition needs it here.
      const timeoutPath = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined;
      if (timeoutPath !== undefined && ('TimeoutSeconds' in state || 'InputPath' in state))
        throw new Error(`State ${stateName}: TimeoutSecondsPath with TimeoutSeconds or InputPath`);
      if (timeoutPath !== undefined && state.Parameters !== undefined) {
        // The library hands the task its Parameters only: the path's value rides along under a key
        // the runner takes off again before the function sees the Payload.
        state.Parameters[`${timeoutSecondsKey}.$`] = timeoutPath;
        delete state.TimeoutSecondsPath;
      }
      // HeartbeatSeconds is a positive integer less than TimeoutSeconds (default 99999999), per
      // https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
      const heartbeat = state.HeartbeatSeconds;
      if (
        heartbeat !== undefined &&
        !(Number.isInteger(heartbeat) && heartbeat > 0 && heartbeat < (state.TimeoutSeconds ?? 99_999_999))
      )
        throw new Error(`State ${stateName}: HeartbeatSeconds must be a positive integer less than TimeoutSeconds`);
      const functionName = String(functionArn).split(':').at(-1) ?? String(functionArn);
      const awaitsChange = callback && functionArn === localFunctionArn('AwaitChangeFunctionArn');
      const awaitMs = awaitsChange ? (options.awaitTimeoutMilliseconds ?? options.waitMilliseconds ?? 0) : undefined;
      const timeouts = {
        functionSeconds: taskFunctionTimeoutSeconds,
        ...(state.TimeoutSeconds !== undefined ? { stateSeconds: state.TimeoutSeconds } : {}),
        ...(state.HeartbeatSeconds !== undefined ? { heartbeatSeconds: state.HeartbeatSeconds } : {}),
      };
      state.TimeoutSeconds = libraryTaskTimeoutSeconds;
      delete state.HeartbeatSeconds;
      const run = (event: unknown, deadline: number) => {
        const invoke = async () =>
          (await handler())(
            event,
            lambdaContext(functionName, () => Math.max(0, Math.round(deadline - performance.now()))),
          );
        return options.aroundTask ? options.aroundTask(stateName, invoke) : invoke();
      };
      taskResourceLocalHandlers[stateName] = async (taskInput) => {
        options.beforeTask?.(stateName);
        if (callback) {
          const payload = (taskInput as { Payload: unknown }).Payload;
          const resolved =
            timeoutPath === undefined
              ? timeouts
              : { ...timeouts, stateSeconds: resolvedTimeoutSeconds(stateName, timeoutPath, taskInput) };
          return runCallbackTask(
            (token, deadline) => run(withTaskToken(payload, token), deadline),
            awaitMs === undefined || resolved.stateSeconds === undefined
              ? resolved
              : { ...resolved, stateMs: awaitMs * Math.max(1, Math.round(resolved.stateSeconds / 60)) },
            () => record({ type: 'TaskSubmitted', state: stateName, at: Date.now() }),
          );
        }
        await takeInvocationSlot();
        try {
          return await runInvocation((deadline) => run(taskInput, deadline), timeouts);
        } finally {
          releaseInvocationSlot();
        }
      };
      retryIntervalOverrides[stateName] = options.retryIntervalMilliseconds ?? 0;
    }
  }
  options.onStart?.(executionArn);
  // A redrive's definition starts mid-way, so the states before it look unreachable: it is the
  // definition the execution first ran with, validated then.
  // Validating costs ~85 ms of CPU per execution (asl-validator compiles its schema each time), which
  // a burst of hundreds of executions cannot afford: each workflow's definition is validated once.
  // A fixture's definition is validated on every run, and does not count as the workflow's.
  const fixture = options.definition !== undefined;
  const validate = options.startAt === undefined && (fixture || !validatedWorkflows.has(workflow));
  const validationOptions = validate ? { checkPaths: true, checkArn: true } : { noValidate: true };
  const machine = new StateMachine(definition as never, { validationOptions });
  if (validate && !fixture) validatedWorkflows.add(workflow);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    },
    context: {
      Execution: { Id: executionArn, Name: name, RedriveCount: options.redriveCount ?? 0 },
      Task: { Token: taskTokenPlaceholder },
      StateMachine: { Id: localStateMachineArn(workflow), Name: `tenant-${workflow}` },
    },
  });
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as {
        type: string;
        timestamp: number;
        state?: { name: string; input?: unknown };
        Error?: string;
        Cause?: unknown;
      };
      if (e.type === 'StateEntered' && e.state) options.onStateEntered?.(e.state.name, e.state.input);
      if (
        ![
          'StateEntered',
          'StateExited',
          'StateFailed',
          'StateRetried',
          'ExecutionSucceeded',
          'ExecutionFailed',
        ].includes(e.type)
      )
        continue;
      const entry: HistoryEntry = {
        type: e.type as HistoryEntry['type'],
        at: e.timestamp,
        ...(e.state ? { state: e.state.name } : {}),
        ...(e.Error !== undefined ? { error: e.Error } : {}),
        ...(e.Cause !== undefined ? { cause: causeText(e.Cause) } : {}),
      };
      record(entry);
    }
  })();
  let output: unknown;
  let failure: { error: string; cause: string } | undefined;
  try {
    output = await execution.result;
  } catch (error) {
    const inner = (error as { cause?: unknown }).cause ?? error;
    failure = { error: (inner as Error).name ?? 'Error', cause: (inner as Error).message ?? String(inner) };
  }
  await collect;
  const transitions = history.filter((entry) => entry.type === 'StateEntered').length;
  if (failure) {
    const failedState = [...history].reverse().find((entry) => entry.type === 'StateEntered')?.state;
    return {
      executionArn,
      status: 'FAILED',
      ...failure,
      ...(failedState ? { failedState } : {}),
      history,
      transitions,
    };
  }
  return { executionArn, status: 'SUCCEEDED', output, history, transitions };
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}
