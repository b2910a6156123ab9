/**
 * Starts executions for the local runtime: StartExecution as Step Functions answers it (names,
 * idempotency, refusals), the record kept up to date as states run, and, when an execution fails,
 * its status change event on the local bus (which the failure reporter answers; unless a
 * `dropStatusEvents` fault drops it, as Step Functions' best-effort delivery may) and then the
 * `afterFailure` hook (the runtime's failure sweep), before the execution counts as done.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  InvalidExecutionInput,
  InvalidName,
  type StartExecutionCommandInput,
  type StartExecutionCommandOutput,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import {
  allLocalWorkflows,
  type LocalWorkflow,
  localExecutionArn,
  localStateMachineArn,
  runWorkflow,
  type HistoryEntry,
} from '../workflow-runner.ts';
import type { LocalRuntimeOptions } from './api.ts';
import { envelope, type Publication } from './bus.ts';
import type { ExecutionRecord, ExecutionStore } from './executions.ts';
import type { FaultPlan } from './faults.ts';

export interface LauncherDependencies {
  readonly executions: ExecutionStore;
  /** Carries the execution ARN into handlers, their SDK calls and the reporter. */
  readonly current: AsyncLocalStorage<{ executionArn: string }>;
  /** Wait states and Retry intervals last this long. */
  readonly waitMs: number;
  /** The Await states' fallback looks come after this (their events usually end them first). */
  readonly awaitMs: number;
  readonly faults: FaultPlan;
  readonly onEvent?: LocalRuntimeOptions['onEvent'];
  /** Puts an event on the local bus. */
  readonly publish: (event: unknown) => Publication;
  /** Runs once a failed execution's status event was delivered (or dropped); the runtime sweeps failures here. */
  readonly afterFailure?: (record: ExecutionRecord) => Promise<void>;
}

const workflows: readonly LocalWorkflow[] = allLocalWorkflows;

/**
 * What an execution name must not contain: whitespace, brackets, wildcards, special characters
 * and control characters; and it has 1-80 characters.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Step Functions refuses these characters in names
const invalidNameCharacters = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const maxNameLength = 80;

const badRequest = { httpStatusCode: 400 };

export class WorkflowLauncher {
  readonly #deps: LauncherDependencies;
  readonly #running = new Map<string, Promise<void>>();

  constructor(deps: LauncherDependencies) {
    this.#deps = deps;
  }

  /**
   * StartExecution, as the handlers' Step Functions client calls it. While an injected start failure
   * is due it fails with Step Functions' error (throttling, or the open-executions quota). A name
   * already used by an execution of the state machine does not start another: while that execution
   * runs with the same input the call succeeds with its ARN, otherwise it fails with
   * ExecutionAlreadyExists. https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
   */
  startExecution(request: StartExecutionCommandInput): StartExecutionCommandOutput {
    this.#deps.faults.checkStart();
    const workflow = workflows.find((candidate) => localStateMachineArn(candidate) === request.stateMachineArn);
    if (workflow === undefined) {
      throw new StateMachineDoesNotExist({
        message: `State Machine Does Not Exist: '${request.stateMachineArn ?? ''}'`,
        $metadata: badRequest,
      });
    }
    const name = request.name ?? randomUUID();
    if (name.length < 1 || name.length > maxNameLength || invalidNameCharacters.test(name)) {
      throw new InvalidName({ message: `Invalid Name: '${name}'`, $metadata: badRequest });
    }
    const text = request.input ?? '{}';
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      throw new InvalidExecutionInput({
        message: 'Invalid State Machine Execution Input: the input is not JSON',
        $metadata: badRequest,
      });
    }
    const existing = this.#deps.executions.findByName(workflow, name);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: existing.executionArn, startDate: new Date(existing.startedAt), $metadata: {} };
      }
      throw new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${existing.executionArn}'`,
        $metadata: badRequest,
      });
    }
    const record = this.start(workflow, input, { name, inputText: text });
    return { executionArn: record.executionArn, startDate: new Date(record.startedAt), $metadata: {} };
  }

  /**
   * Starts `workflow` with `input` and returns its record at once (status RUNNING). Without a
   * name, a replay is named after the execution it replays, anything else gets a UUID.
   */
  start(
    workflow: LocalWorkflow,
    input: unknown,
    options: { name?: string; replayOf?: ExecutionRecord; inputText?: string } = {},
  ): ExecutionRecord {
    const { executions } = this.#deps;
    const detail = detailOf(input);
    const tenantId = typeof detail.tenantId === 'string' ? detail.tenantId : undefined;
    const registrationId = typeof detail.tenantRegistrationId === 'string' ? detail.tenantRegistrationId : undefined;
    const taken = (candidate: string) => executions.hasName(candidate);
    const name =
      options.name ?? (options.replayOf !== undefined ? replayName(options.replayOf.name, taken) : randomUUID());
    const record: ExecutionRecord = {
      executionArn: localExecutionArn(workflow, name),
      name,
      workflow,
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(registrationId !== undefined ? { registrationId } : {}),
      ...(options.replayOf !== undefined ? { replayOf: options.replayOf.executionArn } : {}),
      transitions: 0,
      input: options.inputText ?? JSON.stringify(input),
      history: [],
    };
    executions.add(record);
    this.#launch(record, input);
    return record;
  }

  /**
   * Redrives a failed execution as Step Functions does: the same record (ARN, history) runs again
   * from the state it failed at, with that state's input and `RedriveCount` one higher.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
   *
   * @throws Error when the execution did not fail, or has no failed state (and input) to resume at.
   */
  redrive(record: ExecutionRecord): void {
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
      throw new Error(`Only a failed execution can be redriven; ${record.name} is ${record.status}`);
    }
    const { failedState, failedStateInput } = record;
    if (failedState === undefined || failedStateInput === undefined) {
      throw new Error(
        `${record.name} has no failed state to resume at (no state ran, or the runtime stopped while it ran); replay it instead`,
      );
    }
    const redriveCount = (record.redriveCount ?? 0) + 1;
    for (const field of ['stoppedAt', 'error', 'cause', 'failedState', 'failedStateInput', 'output'] as const)
      delete record[field];
    Object.assign(record, { status: 'RUNNING', redriveCount, redrivenAt: new Date().toISOString() });
    this.#launch(record, JSON.parse(failedStateInput) as unknown, { startAt: failedState, redriveCount });
  }

  /** Resolves when the execution has ended and its failure (if any) has been reported. */
  async done(executionArn: string): Promise<void> {
    await this.#running.get(executionArn);
  }

  pending(): Promise<void>[] {
    return [...this.#running.values()];
  }

  #launch(record: ExecutionRecord, input: unknown, redrive?: { startAt: string; redriveCount: number }): void {
    const done = this.#deps.current.run({ executionArn: record.executionArn }, () => this.#run(record, input, redrive));
    this.#running.set(record.executionArn, done);
    const forget = () => this.#running.delete(record.executionArn);
    void done.then(forget, forget);
  }

  async #run(
    record: ExecutionRecord,
    input: unknown,
    redrive?: { startAt: string; redriveCount: number },
  ): Promise<void> {
    const { faults, waitMs, onEvent } = this.#deps;
    const execution = { executionArn: record.executionArn, workflow: record.workflow };
    // A redrive continues the count (Step Functions bills and shows the transitions of every run).
    const earlierTransitions = record.transitions;
    let enteredInput: unknown;
    try {
      const result = await runWorkflow(record.workflow, input, {
        ...(redrive ?? {}),
        onStateEntered: (_stateName, stateInput) => {
          enteredInput = stateInput;
        },
        executionName: record.name,
        waitMilliseconds: waitMs,
        awaitTimeoutMilliseconds: this.#deps.awaitMs,
        retryIntervalMilliseconds: waitMs,
        beforeTask: (stateName) => faults.checkStep(stateName, record.tenantId),
        aroundTask: (stateName, invoke) => faults.runTask(stateName, invoke, record.tenantId),
        onEvent: (entry: HistoryEntry) => {
          record.history.push(entry);
          if (entry.type === 'StateEntered') record.transitions += 1;
          onEvent?.(execution, entry);
        },
      });
      Object.assign(record, {
        status: result.status,
        transitions: earlierTransitions + result.transitions,
        ...(result.status === 'FAILED' && enteredInput !== undefined
          ? { failedStateInput: JSON.stringify(enteredInput) }
          : {}),
        ...(result.output !== undefined ? { output: JSON.stringify(result.output) } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
        ...(result.cause !== undefined ? { cause: result.cause } : {}),
        ...(result.failedState !== undefined ? { failedState: result.failedState } : {}),
      });
    } catch (error) {
      // The runner itself broke (not a state failing): Step Functions would call it a runtime error.
      Object.assign(record, {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: error instanceof Error ? error.message : String(error),
      });
    }
    record.stoppedAt = new Date().toISOString();
    if (record.status === 'FAILED') {
      // Step Functions delivers status events best effort: a due fault drops this one.
      // https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html
      if (!faults.dropsStatusEvent()) {
        const publication = this.#deps.publish(statusChangeEvent(record));
        await Promise.all(publication.deliveries.map((delivery) => delivery.settled));
      }
      await this.#deps.afterFailure?.(record);
    }
  }
}

/** The event Step Functions puts on the default bus when an execution's status changes. */
export function statusChangeEvent(record: ExecutionRecord): unknown {
  return envelope({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: localStateMachineArn(record.workflow),
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startedAt),
      stopDate: Date.parse(record.stoppedAt ?? record.startedAt),
      input: record.input,
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: record.error ?? null,
      cause: record.cause ?? null,
      // The attempt: a redriven execution emits its events again under the same ARN (AWS's own
      // event model for .NET, aws/aws-lambda-dotnet PR #2544, lists these fields).
      redriveCount: record.redriveCount ?? 0,
      redriveDate: record.redrivenAt === undefined ? null : Date.parse(record.redrivenAt),
    },
  });
}

function detailOf(input: unknown): Record<string, unknown> {
  const detail = typeof input === 'object' && input !== null ? (input as { detail?: unknown }).detail : undefined;
  return typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : {};
}

/**
 * The name of a replay: the replayed execution's name (cut to fit) and a random suffix, so a
 * replay never takes the name a redelivered request would be recognised by.
 */
export function replayName(original: string, taken: (name: string) => boolean): string {
  const suffix = () => `-replay-${randomBytes(3).toString('hex')}`;
  for (;;) {
    const ending = suffix();
    const name = `${original.slice(0, maxNameLength - ending.length)}${ending}`;
    if (!taken(name)) return name;
  }
}
