/**
 * Runs the real state machine definitions with the real handlers as task overrides, on
 * aws-local-stepfunctions. Used by the workflow tests and by the local runtime.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { workflowFunctions, type WorkflowFunctionPlaceholder } from '../functions/lambda-functions.ts';

import { WorkflowName } from '../events/contract.ts';

export { WorkflowName };

/** Every workflow, in the order the local runtime registers them. */
export const allWorkflows: readonly WorkflowName[] = Object.values(WorkflowName);

const region = 'us-east-1';
const account = '111122223333';

/** The fake ARN a placeholder resolves to locally. */
export function localFunctionArn(placeholder: WorkflowFunctionPlaceholder): string {
  return `arn:aws:lambda:${region}:${account}:function:tenant-orchestrator-${workflowFunctions[placeholder]}`;
}

export function localStateMachineArn(workflow: WorkflowName): string {
  return `arn:aws:states:${region}:${account}:stateMachine:tenant-${workflow}`;
}

/** The ARN of a local execution of a workflow, as Step Functions forms it. */
export function localExecutionArn(workflow: WorkflowName, executionName: string): string {
  return `arn:aws:states:${region}:${account}:execution:tenant-${workflow}:${executionName}`;
}

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: unknown[];
  [key: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

/** Reads an ASL file as written, placeholders included. */
export function readDefinitionText(workflow: WorkflowName): string {
  return readFileSync(fileURLToPath(new URL(`../statemachines/${workflow}.asl.json`, import.meta.url)), 'utf8');
}

/** The definition with every `${...}` placeholder substituted; throws if one is left. */
export function loadDefinition(workflow: WorkflowName): AslDefinition {
  const text = readDefinitionText(workflow).replace(/\$\{([A-Za-z0-9]+)\}/g, (match, name: string) => {
    if (!(name in workflowFunctions)) throw new Error(`${workflow}.asl.json uses unknown placeholder ${match}`);
    return localFunctionArn(name as WorkflowFunctionPlaceholder);
  });
  return JSON.parse(text) as AslDefinition;
}

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

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

/**
 * Lambda gives every invocation its own sandbox; here every invocation shares one process, one
 * event loop and one DynamoDB. Like a function's concurrency limit, at most this many handler
 * invocations run at once and the rest queue, so a burst of executions slows down evenly
 * instead of starving every invocation until SDK calls time out.
 */
const maxConcurrentInvocations = 32;
let runningInvocations = 0;
const queuedInvocations: (() => void)[] = [];

async function withInvocationSlot<T>(invoke: () => Promise<T>): Promise<T> {
  if (runningInvocations >= maxConcurrentInvocations)
    await new Promise<void>((resolve) => queuedInvocations.push(resolve));
  else runningInvocations += 1;
  try {
    return await invoke();
  } finally {
    // Hand the slot straight to the next queued invocation, or give it back.
    const next = queuedInvocations.shift();
    if (next) next();
    else runningInvocations -= 1;
  }
}

let invocationCounter = 0;

/** A Lambda context as the runtime would pass it. */
export function lambdaContext(functionName: string): Context {
  invocationCounter += 1;
  const requestId = `local-${process.pid}-${invocationCounter}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => 60_000,
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
   * Wraps each attempt of a Task state (after `beforeTask`): `invoke` runs the real handler. The
   * local runtime uses it to tell SDK calls which state they belong to and to fail an attempt
   * after its handler ran (a Lambda timeout).
   */
  readonly aroundTask?: (stateName: string, invoke: () => Promise<unknown>) => Promise<unknown>;
  /** Called with each state's input as it is entered (a redrive restarts the failed state with it). */
  readonly onStateEntered?: (stateName: string, input: unknown) => void;
  /** A redrive: run from this state instead of the definition's StartAt. */
  readonly startAt?: string;
  /** `$$.Execution.RedriveCount` (default 0). */
  readonly redriveCount?: number;
}

let executionCounter = 0;

/** Workflows whose definition has passed validation in this process. */
const validatedWorkflows = new Set<WorkflowName>();

/** Runs one workflow to completion with the real handlers. */
export async function runWorkflow(
  workflow: WorkflowName,
  input: unknown,
  options: RunOptions = {},
): Promise<WorkflowResult> {
  const definition = loadDefinition(workflow);
  if (options.startAt !== undefined) {
    if (definition.States[options.startAt] === undefined)
      throw new Error(`${workflow} has no state named ${options.startAt}`);
    definition.StartAt = options.startAt;
  }
  executionCounter += 1;
  const name = options.executionName ?? `${workflow}-${Date.now()}-${process.pid}-${executionCounter}`;
  const executionArn = localExecutionArn(workflow, name);
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') waitTimeOverrides[stateName] = options.waitMilliseconds ?? 0;
    if (state.Type === 'Task' && state.Resource) {
      const placeholder = (Object.keys(workflowFunctions) as WorkflowFunctionPlaceholder[]).find(
        (key) => localFunctionArn(key) === state.Resource,
      );
      if (!placeholder) throw new Error(`State ${stateName} has no local handler for ${state.Resource}`);
      const directory = workflowFunctions[placeholder];
      taskResourceLocalHandlers[stateName] = async (taskInput) => {
        options.beforeTask?.(stateName);
        const invoke = () =>
          withInvocationSlot(async () =>
            (await loadHandler(directory))(taskInput, lambdaContext(`tenant-orchestrator-${directory}`)),
          );
        return options.aroundTask ? options.aroundTask(stateName, invoke) : invoke();
      };
      retryIntervalOverrides[stateName] = options.retryIntervalMilliseconds ?? 0;
    }
  }
  options.onStart?.(executionArn);
  // A redrive's definition starts mid-way, so the states before it look unreachable: it is the
  // definition the execution first ran with, validated then.
  // Validating costs ~85 ms of CPU per execution (asl-validator compiles its schema each time), which
  // a burst of hundreds of executions cannot afford: each workflow's definition is validated once.
  const validate = options.startAt === undefined && !validatedWorkflows.has(workflow);
  const validationOptions = validate ? { checkPaths: true, checkArn: true } : { noValidate: true };
  const machine = new StateMachine(definition as never, { validationOptions });
  if (validate) validatedWorkflows.add(workflow);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    },
    context: {
      Execution: { Id: executionArn, Name: name, RedriveCount: options.redriveCount ?? 0 },
      StateMachine: { Id: localStateMachineArn(workflow), Name: `tenant-${workflow}` },
    },
  });
  const history: HistoryEntry[] = [];
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
      history.push(entry);
      options.onEvent?.(entry);
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
